# metafor reference: dat.debruin2009 (13 control groups, undetectable viral load).
#
# Data set (metadat::dat.debruin2009, "Studies on Standard Care Quality and
# HAART-Adherence"): xi = patients with an undetectable viral load in the standard
# care group, ni = patients in that group.
# Source: de Bruin, M., Viechtbauer, W., Hospers, H. J., Schaalma, H. P., & Kok, G.
#   (2009). Standard care quality determines treatment outcomes in control groups of
#   HAART-adherence intervention studies: Implications for the interpretation and
#   comparison of intervention effects. Health Psychology, 28(6), 668-674.
#   https://doi.org/10.1037/a0015989
# Generated with R 4.2.2, metafor 3.8-1, metadat 1.2-0 (Debian bookworm); see README.md.
#
# Exact calls (metafor defaults):
#   es  <- escalc(measure = "PLO", xi = xi, ni = ni, data = dat.debruin2009)
#   res <- rma(yi, vi, data = es, method = "REML")   # and method = "DL"
#   predict(res, transf = transf.ilogit); weights(res)

source("_helpers.R")

dat <- dat.debruin2009
reference_case(
  name = "debruin2009",
  description = "metadat::dat.debruin2009: undetectable viral load under standard care, 13 trials",
  citation = paste(
    "de Bruin, M., Viechtbauer, W., Hospers, H. J., Schaalma, H. P., & Kok, G. (2009).",
    "Standard care quality determines treatment outcomes in control groups of",
    "HAART-adherence intervention studies. Health Psychology, 28(6), 668-674."
  ),
  xi = dat$xi, ni = dat$ni, labels = paste(dat$author, dat$year)
)
