# Reference results from R for the NCCTG advanced lung cancer cohort (survival::lung, 228 patients).
#
# Run from the repository root (needs only r-base-core and r-cran-survival):
#     Rscript tests/reference/ncctg_lung.R
# It writes CSV files to tests/fixtures/r_reference/. The Python tests compare lifelines with them,
# and tests/reference/make_ncctg_ledger.py turns them into the study ledger data/published/ncctg_lung/.
#
# Conventions (they must agree with data/published/ncctg_lung/covariates.yaml; the fixture
# ncctg_covariates.csv records them so that a Python test can hold the two together):
#   time in days, event = status == 2 (R codes 1 = censored, 2 = dead);
#   sex is a factor with Male (1) as reference; missing covariates are dropped per model
#   (na.action = na.omit, R's default: complete-case analysis);
#   Cox models use Efron ties (R's default) with a tighter convergence criterion than the default
#   (eps = 1e-12) so that the stored numbers are converged well below the tolerance the tests use.

suppressPackageStartupMessages(library(survival))

out_dir <- file.path("tests", "fixtures", "r_reference")
if (!dir.exists(out_dir)) stop("run from the repository root: ", out_dir, " not found")
write_fixture <- function(df, name) {
  write.csv(df, file.path(out_dir, name), row.names = FALSE, na = "NA")
}

d <- survival::lung
d$event <- as.integer(d$status == 2)
d$sex_f <- factor(d$sex, levels = c(1, 2), labels = c("Male", "Female"))
d$ecog_group <- factor(ifelse(d$ph.ecog < 2, "0-1", ">=2"), levels = c("0-1", ">=2"))

# ---- covariates: name, column, how it enters the model ------------------------------------------
covariates <- data.frame(
  variable = c("Age", "Sex", "ECOG performance status", "ECOG group",
               "Physician Karnofsky score", "Patient Karnofsky score", "Meal calories",
               "Weight loss"),
  column   = c("age", "sex", "ph.ecog", "ph.ecog", "ph.karno", "pat.karno", "meal.cal", "wt.loss"),
  type     = c("continuous", "categorical", "continuous", "cut", "continuous", "continuous",
               "continuous", "continuous"),
  scale    = c(1, NA, 1, NA, 10, 10, 100, 10),
  cut      = c(NA, NA, NA, 2, NA, NA, NA, NA),
  reference = c("", "Male", "", "0-1", "", "", "", ""),
  stringsAsFactors = FALSE
)
terms <- c(
  "Age" = "age",
  "Sex" = "sex_f",
  "ECOG performance status" = "ph.ecog",
  "ECOG group" = "ecog_group",
  "Physician Karnofsky score" = "I(ph.karno/10)",
  "Patient Karnofsky score" = "I(pat.karno/10)",
  "Meal calories" = "I(meal.cal/100)",
  "Weight loss" = "I(wt.loss/10)"
)
multivariable <- c("Age", "Sex", "ECOG performance status", "Weight loss")
write_fixture(covariates, "ncctg_covariates.csv")

# ---- the data as R has it (a fingerprint, to check the Python loader reads the same cohort) ------
fingerprint <- data.frame(
  n = nrow(d), events = sum(d$event), sum_time = sum(d$time), n_male = sum(d$sex == 1),
  sum_age = sum(d$age), n_missing_ecog = sum(is.na(d$ph.ecog)),
  n_missing_wt_loss = sum(is.na(d$wt.loss)), n_missing_meal_cal = sum(is.na(d$meal.cal))
)
write_fixture(fingerprint, "ncctg_fingerprint.csv")

# ---- Kaplan-Meier: medians (quantile.survfit), 1-year survival, whole curves ----------------------
conf_types <- c("log", "log-log", "plain")

km_rows <- function(dataset, time, event, group = NULL) {
  rows <- list()
  strata <- if (is.null(group)) list(all = rep(TRUE, length(time))) else
    setNames(lapply(levels(group), function(g) !is.na(group) & group == g), levels(group))
  for (s in names(strata)) {
    keep <- strata[[s]]
    for (ct in conf_types) {
      fit <- survfit(Surv(time[keep], event[keep]) ~ 1, conf.type = ct)
      q <- quantile(fit, probs = 0.5)
      rows[[length(rows) + 1]] <- data.frame(
        dataset = dataset, stratum = s, conf_type = ct, n = sum(keep), events = sum(event[keep]),
        median = unname(q$quantile), lower = unname(q$lower), upper = unname(q$upper))
    }
  }
  do.call(rbind, rows)
}

# made-up data that exercise the rules of quantile.survfit: a flat stretch at exactly S = 0.5
# (the median is the midpoint), a curve that ends at exactly 0.5 (midpoint with the last time),
# a median that is not reached, and heavy ties
toy <- list(
  toy_flat = data.frame(time = c(1, 2, 3, 4), event = c(1, 1, 1, 1)),
  toy_last = data.frame(time = c(1, 2, 3, 4), event = c(1, 1, 0, 0)),
  toy_not_reached = data.frame(time = c(2, 3, 5, 7, 8, 9), event = c(1, 0, 1, 0, 0, 0)),
  toy_ties = local({
    set.seed(20240715)
    data.frame(time = sample(1:12, 40, replace = TRUE), event = rbinom(40, 1, 0.7))
  })
)
for (nm in names(toy)) write_fixture(toy[[nm]], paste0("km_", nm, "_data.csv"))

km <- rbind(
  km_rows("ncctg", d$time, d$event),
  km_rows("ncctg_by_sex", d$time, d$event, d$sex_f),
  do.call(rbind, lapply(names(toy), function(nm) km_rows(nm, toy[[nm]]$time, toy[[nm]]$event)))
)
write_fixture(km, "km_medians.csv")

curve_rows <- list()
rate_rows <- list()
for (ct in conf_types) {
  fit <- survfit(Surv(time, event) ~ 1, data = d, conf.type = ct)
  curve_rows[[ct]] <- data.frame(conf_type = ct, time = fit$time, n_risk = fit$n.risk,
                                 n_event = fit$n.event, surv = fit$surv, std_err = fit$std.err,
                                 lower = fit$lower, upper = fit$upper)
  for (s in c("all", levels(d$sex_f))) {
    keep <- if (s == "all") rep(TRUE, nrow(d)) else d$sex_f == s
    f <- survfit(Surv(time, event) ~ 1, data = d[keep, ], conf.type = ct)
    sm <- summary(f, times = 365)
    rate_rows[[length(rate_rows) + 1]] <- data.frame(
      stratum = s, conf_type = ct, time = 365, n = sum(keep), surv = sm$surv,
      lower = sm$lower, upper = sm$upper)
  }
}
write_fixture(do.call(rbind, curve_rows), "km_ncctg_curve.csv")
write_fixture(do.call(rbind, rate_rows), "km_ncctg_rates.csv")

# ---- Cox models (Efron ties) ----------------------------------------------------------------------
ctrl <- coxph.control(eps = 1e-12, toler.chol = 1e-13, iter.max = 100)
level_of_term <- function(term, variable) {
  if (variable == "Sex") return("Female")
  if (variable == "ECOG group") return(">=2")
  ""
}
cox_table <- function(model_name, variables) {
  f <- as.formula(paste("Surv(time, event) ~", paste(terms[variables], collapse = " + ")))
  fit <- coxph(f, data = d, ties = "efron", control = ctrl)
  s <- summary(fit)
  cf <- s$coefficients
  ci <- s$conf.int
  used <- d[-as.integer(fit$na.action), , drop = FALSE]
  if (is.null(fit$na.action)) used <- d
  term_names <- rownames(cf)
  variable <- vapply(term_names, function(t) {
    hit <- names(terms)[vapply(terms, function(x) startsWith(t, x), logical(1))]
    hit <- hit[hit %in% variables]
    hit[which.max(nchar(terms[hit]))]
  }, character(1))
  n_level <- n_reference <- rep(NA_integer_, length(term_names))
  for (i in seq_along(term_names)) {
    if (variable[i] == "Sex") {
      n_level[i] <- sum(used$sex_f == "Female"); n_reference[i] <- sum(used$sex_f == "Male")
    }
    if (variable[i] == "ECOG group") {
      n_level[i] <- sum(used$ecog_group == ">=2"); n_reference[i] <- sum(used$ecog_group == "0-1")
    }
  }
  data.frame(
    model = model_name, variable = unname(variable), term = term_names,
    level = unname(mapply(level_of_term, term_names, variable)),
    coef = cf[, "coef"], se = cf[, "se(coef)"], hr = cf[, "exp(coef)"],
    ci_low = ci[, "lower .95"], ci_high = ci[, "upper .95"], z = cf[, "z"], p = cf[, "Pr(>|z|)"],
    n = fit$n, events = fit$nevent, n_level = n_level, n_reference = n_reference,
    loglik_null = fit$loglik[1], loglik = fit$loglik[2], iter = fit$iter,
    row.names = NULL, stringsAsFactors = FALSE)
}
cox <- rbind(
  do.call(rbind, lapply(names(terms), function(v) cox_table("univariable", v))),
  cox_table("multivariable", multivariable)
)
write_fixture(cox, "cox_ncctg.csv")

# ---- baseline description -------------------------------------------------------------------------
base_counts <- rbind(
  data.frame(variable = "Sex", level = c("Male", "Female"),
             count = c(sum(d$sex == 1), sum(d$sex == 2))),
  data.frame(variable = "ECOG performance status", level = c("0", "1", "2", "3", "Missing"),
             count = c(sapply(0:3, function(k) sum(d$ph.ecog == k, na.rm = TRUE)),
                       sum(is.na(d$ph.ecog))))
)
base_counts$denominator <- nrow(d)
base_counts$percent <- 100 * base_counts$count / base_counts$denominator
write_fixture(base_counts, "baseline_counts.csv")

summ <- function(variable, column, statistic) {
  x <- d[[column]]
  x <- x[!is.na(x)]
  data.frame(variable = variable, column = column, statistic = statistic, n = length(x),
             mean = mean(x), sd = sd(x), median = median(x), min = min(x), max = max(x))
}
base_summaries <- rbind(
  summ("Age", "age", "mean_sd"),
  summ("Physician Karnofsky score", "ph.karno", "mean_sd"),
  summ("Patient Karnofsky score", "pat.karno", "mean_sd"),
  summ("Meal calories", "meal.cal", "median_range"),
  summ("Weight loss", "wt.loss", "median_range")
)
write_fixture(base_summaries, "baseline_summaries.csv")

# ---- session ---------------------------------------------------------------------------------------
session <- sprintf('{\n "r_version": "%s",\n "survival_version": "%s",\n "script": "tests/reference/ncctg_lung.R"\n}\n',
                   paste(R.version$major, R.version$minor, sep = "."),
                   as.character(packageVersion("survival")))
writeLines(session, file.path(out_dir, "session.json"), sep = "")
cat("wrote", length(list.files(out_dir)), "files to", out_dir, "\n")
