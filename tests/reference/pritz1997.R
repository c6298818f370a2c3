# metafor reference: dat.pritz1997 (14 single-arm studies; two with all events).
#
# Data set (metadat::dat.pritz1997, "Studies on the Effectiveness of Hyperdynamic
# Therapy for Treating Cerebral Vasospasm"): xi = patients improved, ni = treated.
# Source: Zhou, X.-H., Brizendine, E. J., & Pritz, M. B. (1999). Methods for
#   combining rates from several studies. Statistics in Medicine, 18(5), 557-566.
#   https://doi.org/10.1002/(SICI)1097-0258(19990315)18:5<557::AID-SIM53>3.0.CO;2-F
# References: Pritz, M. B. (1997). Treatment of cerebral vasospasm due to aneurysmal
#   subarachnoid hemorrhage: Past, present, and future of hyperdynamic therapy.
#   Neurosurgery Quarterly, 7(4), 273-285.
# Generated with R 4.2.2, metafor 3.8-1, metadat 1.2-0 (Debian bookworm); see README.md.
#
# Exact calls (metafor defaults: add = 1/2 to studies with a zero cell, test = "z"):
#   es  <- escalc(measure = "PLO", xi = xi, ni = ni, data = dat.pritz1997)
#   res <- rma(yi, vi, data = es, method = "REML")   # and method = "DL"
#   predict(res, transf = transf.ilogit); weights(res)

source("_helpers.R")

dat <- dat.pritz1997
reference_case(
  name = "pritz1997",
  description = "metadat::dat.pritz1997: success of hyperdynamic therapy, 14 studies",
  citation = paste(
    "Zhou, X.-H., Brizendine, E. J., & Pritz, M. B. (1999). Methods for combining",
    "rates from several studies. Statistics in Medicine, 18(5), 557-566."
  ),
  xi = dat$xi, ni = dat$ni, labels = dat$authors
)
