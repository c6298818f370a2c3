# metafor reference for the current pooling methods: the binomial GLMM (rma.glmm, the
# default of meta::metaprop), the Hartung-Knapp interval with the ad hoc safeguard
# (test = "adhoc", as meta's adhoc.hakn.ci), the plain Knapp-Hartung interval (test = "knha"),
# Q-profile intervals for tau^2 and I^2, leave-one-out, cumulative pooling, the subgroup
# (moderator) test and Egger's regression test.
#
# Generated with R 4.2.2, metafor 3.8-1, lme4 1.1-31 (Debian bookworm); see README.md.
#
# Exact calls, for each case (xi events, ni totals):
#   es  <- escalc(measure = "PLO", xi = xi, ni = ni)                    # add = 1/2, to = "only0"
#   g   <- rma.glmm(measure = "PLO", xi = xi, ni = ni, test = tst)      # tst in z, t; nAGQ = 7
#   r   <- rma(yi, vi, data = es, method = m, test = tst)               # m in REML, DL;
#                                                                      # tst in knha, adhoc
#   predict(g); predict(r)                                             # logit scale
#   confint(rma(yi, vi, data = es, method = "REML"))                   # Q-profile tau^2, I^2
#   leave1out(rma(yi, vi, data = es, method = "REML", test = "adhoc"))
#   cumul(rma(yi, vi, data = es, method = "REML", test = "adhoc"))     # in input order
#   rma(yi, vi, data = es, mods = ~ factor(group), method = "REML")    # QM, QMdf, QMp
#   regtest(rma(yi, vi, data = es, method = "REML"))                   # Egger, k >= 10
#   GLMM leave-one-out: rma.glmm refitted without each study in turn (test = "t")

source("_helpers.R")
suppressPackageStartupMessages(library(lme4))

logit_fit <- function(res) {
  pr <- predict(res)
  list(mu = as.numeric(res$beta), se = res$se, tau2 = res$tau2, I2 = res$I2,
       ci_lb = res$ci.lb, ci_ub = res$ci.ub, pi_lb = pr$pi.lb, pi_ub = pr$pi.ub)
}

safe <- function(expr) tryCatch(expr, error = function(e) list(error = conditionMessage(e)))

modern_case <- function(xi, ni, group = NULL, loo = TRUE) {
  es <- escalc(measure = "PLO", xi = xi, ni = ni)
  k <- length(xi)
  out <- list(events = I(xi), totals = I(ni))
  out$glmm_z <- safe(logit_fit(suppressWarnings(rma.glmm(measure = "PLO", xi = xi, ni = ni, test = "z"))))
  out$glmm_t <- safe(logit_fit(suppressWarnings(rma.glmm(measure = "PLO", xi = xi, ni = ni, test = "t"))))
  for (m in c("REML", "DL")) {
    for (tst in c("knha", "adhoc")) {
      out[[paste(tolower(m), tst, sep = "_")]] <- safe(logit_fit(suppressWarnings(
        rma(yi, vi, data = es, method = m, test = tst))))
    }
  }
  if (k >= 2) {
    out$qp <- safe({
      ci <- confint(rma(yi, vi, data = es, method = "REML"))$random
      list(tau2 = I(unname(ci["tau^2", ])), I2 = I(unname(ci["I^2(%)", ])))
    })
  }
  if (loo && k >= 3) {
    out$loo_reml_adhoc <- safe({
      l <- leave1out(rma(yi, vi, data = es, method = "REML", test = "adhoc"))
      list(estimate = I(l$estimate), ci_lb = I(l$ci.lb), ci_ub = I(l$ci.ub))
    })
    out$loo_glmm_t <- safe({
      fits <- lapply(seq_len(k), function(i) suppressWarnings(
        rma.glmm(measure = "PLO", xi = xi[-i], ni = ni[-i], test = "t")))
      list(estimate = I(sapply(fits, function(f) as.numeric(f$beta))),
           ci_lb = I(sapply(fits, function(f) f$ci.lb)),
           ci_ub = I(sapply(fits, function(f) f$ci.ub)))
    })
    out$cumul_reml_adhoc <- safe({
      cu <- cumul(rma(yi, vi, data = es, method = "REML", test = "adhoc"))
      list(estimate = I(cu$estimate), ci_lb = I(cu$ci.lb), ci_ub = I(cu$ci.ub))
    })
  }
  if (!is.null(group)) {
    out$group <- I(group)
    out$subgroup_reml <- safe({
      s <- rma(yi, vi, data = es, mods = ~ factor(group), method = "REML")
      list(q = s$QM, df = s$QMdf[1], p = s$QMp)
    })
  }
  if (k >= 10) {
    out$egger <- safe({
      e <- regtest(rma(yi, vi, data = es, method = "REML"))
      list(z = e$zval, p = e$pval)
    })
  }
  out
}

cases <- list()
p <- dat.pritz1997
cases$pritz1997 <- modern_case(p$xi, p$ni, group = rep(c("a", "b"), length.out = nrow(p)))
d <- dat.debruin2009
cases$debruin2009 <- modern_case(d$xi, d$ni, group = rep(c("a", "b", "c"), length.out = nrow(d)))
cases$tiny_k2 <- modern_case(c(3, 9), c(10, 40))
cases$tiny_k3 <- modern_case(c(3, 9, 20), c(10, 40, 50), group = c("a", "a", "b"))
cases$zero_and_all <- modern_case(c(0, 4, 12, 7, 25), c(15, 20, 12, 30, 60), group = c("a", "b", "a", "b", "a"))
cases$all_zero_but_one <- modern_case(c(0, 0, 1, 0), c(20, 35, 40, 25))
cases$large_counts <- modern_case(c(457, 132, 86, 149, 14), c(71811, 5629, 6171, 1010, 179))

set.seed(20261129)
random <- list()
for (i in 1:40) {
  k <- sample(2:12, 1)
  ni <- sample(8:400, k, replace = TRUE)
  p <- plogis(rnorm(1, -1, 1) + rnorm(k, 0, runif(1, 0.05, 1.2)))
  xi <- rbinom(k, ni, p)
  grp <- if (k >= 4) rep(c("a", "b"), length.out = k) else NULL
  random[[i]] <- modern_case(xi, ni, group = grp, loo = k <= 6)
}

doc <- list(
  name = "modern_methods",
  description = "GLMM, Hartung-Knapp (ad hoc and plain), Q-profile, leave-one-out, cumulative, subgroup and Egger references",
  versions = c(versions(), lme4 = as.character(packageVersion("lme4"))),
  cases = cases,
  random = random
)
write_json(doc, "modern_methods.json", auto_unbox = TRUE, digits = NA, pretty = FALSE, null = "null", na = "null")
