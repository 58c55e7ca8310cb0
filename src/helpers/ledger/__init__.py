"""The ledger of a study's published numbers: load (load and validate ``data/published/<study>/``),
views (read-only tables of the numbers as printed, hazard-ratio estimates) and followup (the
accrual window and data cut-off as potential follow-up, used by checks and by the simulator)."""
