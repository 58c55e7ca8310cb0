"""What a reviewer reads: figures and forest (figures for the notebooks), pages (ranked findings,
evidence links, the index page), letter (draft review letter), export (executed notebooks to offline
HTML), manifest (run manifest) and build (assembles a run's report; called by the runner). Plotting
libraries are imported by the modules that need them, not here."""
