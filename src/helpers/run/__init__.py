"""Running the notebooks: params (notebook parameters), notebook (the ``start()`` every notebook
calls), runner (executes a run's notebooks with papermill and builds its report), grid (parameter
grids over runs) and cli (the ``reanalysis`` command)."""
