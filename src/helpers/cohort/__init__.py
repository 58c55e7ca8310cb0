"""Patient-level data and its estimation, with no dependency on the checks: ipd (schema, validation,
registered sources), datasets (bundled real data), synthetic (cohort simulated from the ledger),
survival (Kaplan-Meier and Cox matched to R), coxbatch (batched Cox solver) and montecarlo (many
synthetic cohorts)."""
