# R side of scripts/benchmark_cox.py: survival::coxph (Efron ties) in a loop.
#
# Usage: Rscript scripts/benchmark_cox.R data.csv n_uni p_multi out.csv
#   data.csv: columns sim, time, event, x1..x<n_uni> (one row per patient)
# Prints "elapsed_seconds cpu_seconds fits"; writes out.csv with sim, model, term, coef, se.
# Only the fitting loop is timed (reading and splitting the data is not).

suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 4) stop("usage: benchmark_cox.R data.csv n_uni p_multi out.csv")
dat <- read.csv(args[1])
n_uni <- as.integer(args[2])
p_multi <- as.integer(args[3])
out_file <- args[4]

cohorts <- split(dat, dat$sim)
xs <- paste0("x", seq_len(n_uni))
formulas <- c(
  lapply(xs, function(v) as.formula(paste("Surv(time, event) ~", v))),
  list(as.formula(paste("Surv(time, event) ~", paste(xs[seq_len(p_multi)], collapse = " + "))))
)
n_models <- length(formulas)
fits <- vector("list", length(cohorts) * n_models)

t0 <- proc.time()
k <- 0L
for (d in cohorts) {
  for (f in formulas) {
    k <- k + 1L
    fits[[k]] <- coxph(f, data = d, ties = "efron")
  }
}
dt <- proc.time() - t0
elapsed <- dt[["elapsed"]]
cpu <- dt[["user.self"]] + dt[["sys.self"]]

rows <- vector("list", length(fits))
k <- 0L
for (i in seq_along(cohorts)) {
  for (m in seq_len(n_models)) {
    k <- k + 1L
    fit <- fits[[k]]
    rows[[k]] <- data.frame(sim = as.integer(names(cohorts)[i]), model = m - 1L,
                            term = names(coef(fit)), coef = unname(coef(fit)),
                            se = unname(sqrt(diag(vcov(fit)))))
  }
}
write.csv(do.call(rbind, rows), out_file, row.names = FALSE)
cat(sprintf("%.6f %.6f %d\n", elapsed, cpu, length(fits)))
