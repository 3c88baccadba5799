# Reference values for iqmstats' equivalence tests (TOST, `compare(..., margin = 0.2)`), computed
# with base R (t.test, qt, p.adjust) from the bundled study table, independently of iqmstats:
# pairs come from S2's own `sub` and `defaced` columns (matched by `sub`, never by row order).
# Run from the repository root:  Rscript tests/stats/reference/equivalence.R
# Writes tests/stats/reference/equivalence.csv. R 4.2.2 Patched (2022-11-10 r83330), Debian r-base-core.
#
# Definition (d = A - B, A = original (defaced == 0), B = defaced (defaced == 1)), per IQM over the
# participants having the IQM under both conditions (n pairs):
#   SD_ref = sd(A); [L, U] = [-0.2 SD_ref, +0.2 SD_ref];
#   p_lower = t.test(a, b, paired = TRUE, mu = L, alternative = "greater")$p.value;
#   p_upper = t.test(a, b, paired = TRUE, mu = U, alternative = "less")$p.value;
#   p_tost = max of the two, Holm-adjusted across IQMs; 90% CI = mean(d) -/+ qt(0.95, n - 1) sd(d) / sqrt(n);
#   verdict: "equivalent" if p_tost_holm < 0.05, "beyond_margin" if the 90% CI lies wholly outside
#   [L, U], else "inconclusive".
margin <- 0.2
alpha <- 0.05
s2 <- read.csv("src/iqmstats/examples/data/ixi-defacing/S2_Data.csv")
s2$fber[s2$fber == -1] <- NA # MRIQC writes -1 when fber cannot be computed
# The IQMs iqmstats analyses (the 53 rows of compare(...).equivalence; the others are constant,
# derived (fwhm_avg, snr_total, ...) or have missing values, and iqmstats leaves them out).
iqms <- strsplit("cjv cnr efc fwhm_x fwhm_y fwhm_z icvs_csf icvs_gm inu_med inu_range qi_2 rpve_csf rpve_gm rpve_wm snr_csf snr_gm snr_wm snrd_csf snrd_gm snrd_wm summary_bg_k summary_bg_mean summary_bg_n summary_bg_p95 summary_bg_stdv summary_csf_k summary_csf_mad summary_csf_mean summary_csf_median summary_csf_n summary_csf_p05 summary_csf_p95 summary_csf_stdv summary_gm_k summary_gm_mad summary_gm_mean summary_gm_median summary_gm_n summary_gm_p05 summary_gm_p95 summary_gm_stdv summary_wm_k summary_wm_mad summary_wm_mean summary_wm_median summary_wm_n summary_wm_p05 summary_wm_p95 summary_wm_stdv tpm_overlap_csf tpm_overlap_gm tpm_overlap_wm wm2max", " ")[[1]]
stopifnot(length(iqms) == 53)

original <- s2[s2$defaced == 0, ]
defaced <- s2[s2$defaced == 1, ]
stopifnot(!anyDuplicated(original$sub), !anyDuplicated(defaced$sub))
subs <- sort(intersect(original$sub, defaced$sub))
original <- original[match(subs, original$sub), ]
defaced <- defaced[match(subs, defaced$sub), ]
stopifnot(all(original$sub == subs), all(defaced$sub == subs), length(subs) == 579)

rows <- lapply(iqms, function(iqm) {
  a <- original[[iqm]]
  b <- defaced[[iqm]]
  both <- !is.na(a) & !is.na(b)
  a <- a[both]
  b <- b[both]
  n <- length(a)
  d <- a - b
  sd_ref <- sd(a)
  lower <- -margin * sd_ref
  upper <- margin * sd_ref
  p_lower <- t.test(a, b, paired = TRUE, mu = lower, alternative = "greater")$p.value
  p_upper <- t.test(a, b, paired = TRUE, mu = upper, alternative = "less")$p.value
  half <- qt(1 - alpha, n - 1) * sd(d) / sqrt(n)
  # the same interval from t.test itself, as a check on the line above
  ci <- t.test(a, b, paired = TRUE, conf.level = 1 - 2 * alpha)$conf.int
  stopifnot(isTRUE(all.equal(c(mean(d) - half, mean(d) + half), as.numeric(ci), tolerance = 1e-12)))
  data.frame(iqm = iqm, n = n, bias = mean(d), sd_reference = sd_ref, margin_lower = lower,
             margin_upper = upper, ci90_lower = mean(d) - half, ci90_upper = mean(d) + half,
             p_lower = p_lower, p_upper = p_upper, p_tost = max(p_lower, p_upper))
})
out <- do.call(rbind, rows)
out$p_tost_holm <- p.adjust(out$p_tost, "holm")
outside <- out$ci90_lower > out$margin_upper | out$ci90_upper < out$margin_lower
out$verdict <- ifelse(out$p_tost_holm < alpha, "equivalent", ifelse(outside, "beyond_margin", "inconclusive"))
# 17 significant digits: write.csv's default of 15 would be the limit of the comparison
numeric <- vapply(out, is.double, logical(1))
out[numeric] <- lapply(out[numeric], function(x) sprintf("%.17g", x))
write.csv(out, "tests/stats/reference/equivalence.csv", row.names = FALSE, quote = FALSE)
