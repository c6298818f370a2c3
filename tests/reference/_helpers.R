# Shared helpers for the metafor reference scripts in this folder.
# Vectors are wrapped in I() so that length-1 vectors stay JSON arrays.
# Sourced by every <name>.R script; not a reference case itself.
# Needs: R >= 4.2, metafor (>= 3.8), jsonlite (Debian: r-base-core r-cran-metafor r-cran-jsonlite).

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})

versions <- function() {
  list(
    r = R.version.string,
    metafor = as.character(packageVersion("metafor")),
    metadat = as.character(packageVersion("metadat")),
    jsonlite = as.character(packageVersion("jsonlite"))
  )
}

# Run fit_expr, returning the fit and any warnings it raised (metafor warns,
# e.g., when the REML Fisher scoring may have stopped at a local maximum).
with_warnings <- function(expr) {
  warnings <- character(0)
  value <- withCallingHandlers(expr, warning = function(w) {
    warnings <<- c(warnings, conditionMessage(w))
    invokeRestart("muffleWarning")
  })
  list(value = value, warnings = warnings)
}

# The numbers the Python tests compare for one rma() fit.
summarise_fit <- function(res, warnings = character(0)) {
  pr <- predict(res, transf = transf.ilogit)
  pr_logit <- predict(res)
  list(
    method = res$method,
    k = res$k,
    mu = as.numeric(res$beta),
    se = res$se,
    ci_lb_logit = res$ci.lb,
    ci_ub_logit = res$ci.ub,
    tau2 = res$tau2,
    se_tau2 = res$se.tau2,
    I2 = res$I2,
    H2 = res$H2,
    QE = res$QE,
    QEp = res$QEp,
    pi_lb_logit = pr_logit$pi.lb,
    pi_ub_logit = pr_logit$pi.ub,
    pred = pr$pred,
    ci_lb = pr$ci.lb,
    ci_ub = pr$ci.ub,
    pi_lb = pr$pi.lb,
    pi_ub = pr$pi.ub,
    weights = I(unname(weights(res))),
    warnings = I(warnings)
  )
}

# escalc() + rma() with REML and DL, all on metafor's defaults
# (measure = "PLO", add = 1/2, to = "only0", test = "z", level = 95).
reference_case <- function(name, description, citation, xi, ni, labels) {
  dat <- data.frame(xi = xi, ni = ni, labels = labels)
  es <- escalc(measure = "PLO", xi = xi, ni = ni, data = dat)
  fits <- list()
  for (method in c("REML", "DL")) {
    out <- with_warnings(rma(yi, vi, data = es, method = method))
    fits[[method]] <- summarise_fit(out$value, out$warnings)
  }
  doc <- list(
    name = name,
    description = description,
    citation = citation,
    versions = versions(),
    call = c(
      'es <- escalc(measure = "PLO", xi = xi, ni = ni, data = dat)',
      'res <- rma(yi, vi, data = es, method = method)  # method in REML, DL',
      'predict(res, transf = transf.ilogit); weights(res)'
    ),
    input = list(events = I(xi), totals = I(ni), labels = I(labels)),
    escalc = list(yi = I(as.numeric(es$yi)), vi = I(as.numeric(es$vi))),
    fits = fits
  )
  write_json(doc, paste0(name, ".json"), auto_unbox = TRUE, digits = NA, pretty = TRUE)
  invisible(doc)
}

# Compact summary of one fit that records an error (e.g. Fisher scoring did
# not converge) instead of stopping, for the batches of small cases.
safe_fit <- function(xi, ni, method) {
  es <- escalc(measure = "PLO", xi = xi, ni = ni)
  tryCatch(
    {
      fit <- with_warnings(rma(yi, vi, data = es, method = method))
      res <- fit$value
      pr <- predict(res, transf = transf.ilogit)
      list(
        error = NULL, mu = as.numeric(res$beta), se = res$se, tau2 = res$tau2,
        I2 = res$I2, QE = res$QE, QEp = res$QEp, pred = pr$pred,
        ci_lb = pr$ci.lb, ci_ub = pr$ci.ub, pi_lb = pr$pi.lb, pi_ub = pr$pi.ub,
        warnings = I(fit$warnings)
      )
    },
    error = function(e) list(error = conditionMessage(e))
  )
}
