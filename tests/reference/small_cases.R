# metafor reference: small hand-made cases (k = 1, 2, 3 and the 1/2 correction).
#
# Not a published data set: made-up counts chosen to exercise edge cases.
#   tiny_k2        two homogeneous-looking studies (REML and DL tau^2 truncated at 0)
#   tiny_k3        three heterogeneous studies
#   zero_and_all   a zero-event and an all-events study (escalc adds 1/2 to both cells
#                  of exactly those studies: to = "only0" means xi == 0 or xi == ni)
#   single         k = 1 (metafor returns the study itself, tau^2 = 0, Q = 0, p = 1,
#                  I^2 = 0, H^2 = 1)
# Generated with R 4.2.2, metafor 3.8-1 (Debian bookworm); see README.md.
#
# Exact calls (metafor defaults):
#   es  <- escalc(measure = "PLO", xi = xi, ni = ni, data = dat)
#   res <- rma(yi, vi, data = es, method = "REML")   # and method = "DL"
#   predict(res, transf = transf.ilogit); weights(res)

source("_helpers.R")

reference_case(
  name = "tiny_k2", description = "two studies", citation = "made-up data",
  xi = c(12, 15), ni = c(40, 45), labels = c("A 2001", "B 2003")
)
reference_case(
  name = "tiny_k3", description = "three heterogeneous studies", citation = "made-up data",
  xi = c(4, 30, 61), ni = c(50, 60, 80), labels = c("A 2001", "B 2003", "C 2010")
)
reference_case(
  name = "zero_and_all", description = "zero-event and all-events studies",
  citation = "made-up data",
  xi = c(0, 4, 12, 7, 25), ni = c(15, 20, 12, 30, 60),
  labels = c("Zero 2000", "B 2004", "All 2008", "D 2012", "E 2019")
)
reference_case(
  name = "single", description = "one study", citation = "made-up data",
  xi = 5, ni = 20, labels = "Only 2015"
)
