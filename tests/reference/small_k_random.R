# metafor reference: 300 random small meta-analyses (k = 2 to 5) for REML and DL.
#
# Purpose: with few studies the REML likelihood can be flat or have a second
# optimum; this batch checks that the Python Fisher scoring (start at the HE
# estimate, step-halving, threshold 1e-5, maxiter 100, ll0 check) lands where
# metafor lands. Hard cases are in fisher_scoring_edges.R.
# Not a published data set: counts are simulated with set.seed(20240521).
# Generated with R 4.2.2, metafor 3.8-1 (Debian bookworm); see README.md.
#
# Exact calls per case (safe_fit() in _helpers.R):
#   es  <- escalc(measure = "PLO", xi = xi, ni = ni)
#   res <- rma(yi, vi, data = es, method = "REML")   # and method = "DL"
#   predict(res, transf = transf.ilogit)

source("_helpers.R")

set.seed(20240521)
cases <- vector("list", 300)
for (i in seq_along(cases)) {
  k <- sample(2:5, 1)
  ni <- sample(c(3:30, 40, 60, 100, 250, 1000), k, replace = TRUE)
  mu <- rnorm(1, 0, 1.5)
  tau <- sample(c(0, 0.3, 1, 2), 1)
  xi <- rbinom(k, ni, plogis(rnorm(k, mu, tau)))
  cases[[i]] <- list(
    events = I(xi), totals = I(ni),
    fits = list(REML = safe_fit(xi, ni, "REML"), DL = safe_fit(xi, ni, "DL"))
  )
}

write_json(
  list(
    name = "small_k_random",
    description = "300 simulated meta-analyses with k = 2..5 (set.seed(20240521))",
    versions = versions(),
    cases = cases
  ),
  "small_k_random.json",
  auto_unbox = TRUE, digits = NA, pretty = FALSE, null = "null"
)
