# metafor reference: small cases where REML Fisher scoring misbehaves.
#
# Found by a random search (k = 2..4, very unequal n). In the first group metafor's
# ll0 check fires: the REML log-likelihood at tau^2 = 0 beats the point where
# Fisher scoring converged, so metafor warns "Fisher scoring algorithm may have
# gotten stuck at a local maximum" and sets tau^2 = 0. In the second group
# Fisher scoring does not converge within 100 iterations and rma() stops with an
# error. The Python port must reproduce both (same tau^2 / a raised error).
# Not a published data set. Generated with R 4.2.2, metafor 3.8-1 (Debian
# bookworm); see README.md.
#
# Exact calls per case (safe_fit() in _helpers.R):
#   es  <- escalc(measure = "PLO", xi = xi, ni = ni)
#   res <- rma(yi, vi, data = es, method = "REML")   # and method = "DL"
#   predict(res, transf = transf.ilogit)

source("_helpers.R")

inputs <- list(
  # ll0 check fires (local maximum, tau^2 set to 0)
  list(xi = c(170, 9, 803), ni = c(1000, 9, 5000)),
  list(xi = c(5, 1900, 4, 66), ni = c(6, 5000, 5, 200)),
  list(xi = c(3744, 0, 1, 3659), ni = c(5000, 2, 5, 5000)),
  list(xi = c(9, 51, 1386), ni = c(9, 200, 5000)),
  list(xi = c(2, 6, 535), ni = c(2, 50, 5000)),
  list(xi = c(0, 21, 0, 5), ni = c(5, 50, 8, 9)),
  list(xi = c(6, 28, 0), ni = c(10, 50, 10)),
  list(xi = c(3, 29, 24), ni = c(6, 200, 200)),
  # Fisher scoring does not converge (rma() stops with an error)
  list(xi = c(1, 42, 747), ni = c(4, 50, 1000)),
  list(xi = c(0, 758, 10, 124), ni = c(5, 1000, 10, 200)),
  list(xi = c(153, 9, 6, 0), ni = c(200, 9, 6, 2))
)

cases <- lapply(inputs, function(x) {
  list(
    events = I(x$xi), totals = I(x$ni),
    fits = list(REML = safe_fit(x$xi, x$ni, "REML"), DL = safe_fit(x$xi, x$ni, "DL"))
  )
})

write_json(
  list(
    name = "fisher_scoring_edges",
    description = "REML local-maximum (ll0 check) and non-convergence cases",
    versions = versions(),
    cases = cases
  ),
  "fisher_scoring_edges.json",
  auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null"
)
