# Reference values for iqmstats' statistics, computed with base R from the bundled
# study table. Pairs come from S2's own `sub` and `defaced` columns (not from iqmstats).
# Run from the repository root:  Rscript tests/stats/reference/reference.R
# Writes tests/stats/reference/{per_iqm,multivariate}.csv. R 4.2.2 (Debian r-base-core).
s2 <- read.csv("src/iqmstats/examples/data/ixi-defacing/S2_Data.csv")
iqms <- strsplit("cjv cnr efc fwhm_x fwhm_y fwhm_z icvs_csf icvs_gm inu_med inu_range qi_2 rpve_csf rpve_gm rpve_wm snr_csf snr_gm snr_wm snrd_csf snrd_gm snrd_wm summary_bg_k summary_bg_mean summary_bg_n summary_bg_p95 summary_bg_stdv summary_csf_k summary_csf_mad summary_csf_mean summary_csf_median summary_csf_n summary_csf_p05 summary_csf_p95 summary_csf_stdv summary_gm_k summary_gm_mad summary_gm_mean summary_gm_median summary_gm_n summary_gm_p05 summary_gm_p95 summary_gm_stdv summary_wm_k summary_wm_mad summary_wm_mean summary_wm_median summary_wm_n summary_wm_p05 summary_wm_p95 summary_wm_stdv tpm_overlap_csf tpm_overlap_gm tpm_overlap_wm wm2max", " ")[[1]]
original <- s2[s2$defaced == 0, ]
defaced <- s2[s2$defaced == 1, ]
original <- original[order(original$sub), ]
defaced <- defaced[match(original$sub, defaced$sub), ]
stopifnot(all(original$sub == defaced$sub), nrow(original) == 579)
A <- as.matrix(original[, iqms])
B <- as.matrix(defaced[, iqms])
D <- A - B
n <- nrow(D)

# Noncentral-t CI of dz. R's pt(ncp=) is approximate beyond |ncp| = 37.62 (see ?pt): the test
# compares those rows (|t| > 37, one IQM here) with a numerical integral instead.
dz_ci <- function(t, df, n, level = 0.95) {
  tail <- (1 - level) / 2
  f <- function(ncp, p) pt(t, df, ncp) - p
  lo <- uniroot(f, c(t - 20, t + 20), p = 1 - tail, tol = 1e-12)$root
  hi <- uniroot(f, c(t - 20, t + 20), p = tail, tol = 1e-12)$root
  c(lo, hi) / sqrt(n)
}
rows <- lapply(iqms, function(iqm) {
  tt <- t.test(A[, iqm], B[, iqm], paired = TRUE)
  wt <- suppressWarnings(wilcox.test(A[, iqm], B[, iqm], paired = TRUE, exact = NULL, correct = TRUE))
  ci <- dz_ci(unname(tt$statistic), n - 1, n)
  data.frame(iqm = iqm, bias = mean(D[, iqm]), sd_diff = sd(D[, iqm]), ci_lower = tt$conf.int[1],
             ci_upper = tt$conf.int[2], t = unname(tt$statistic), p_t = tt$p.value, w = unname(wt$statistic),
             p_w = wt$p.value, dz_ci_lower = ci[1], dz_ci_upper = ci[2])
})
per_iqm <- do.call(rbind, rows)
per_iqm$p_t_holm <- p.adjust(per_iqm$p_t, "holm")
per_iqm$p_t_fdr <- p.adjust(per_iqm$p_t, "BH")
per_iqm$p_w_holm <- p.adjust(per_iqm$p_w, "holm")
per_iqm$p_w_fdr <- p.adjust(per_iqm$p_w, "BH")
write.csv(per_iqm, "tests/stats/reference/per_iqm.csv", row.names = FALSE)

# Multivariate: scale columns first (the tests are scale invariant; R's lm would otherwise face
# a condition number of ~1e20 on the raw IQM scales).
scale_cols <- function(x) sweep(x, 2, apply(x, 2, sd), "/")
stat_rows <- function(tab, test, effect) {
  data.frame(test = test, effect = effect, statistic = c("pillai", "wilks", "hotelling_lawley", "roy"),
             value = tab[, 1], f = tab[, 2], df1 = tab[, 3], df2 = tab[, 4], p_value = tab[, 5])
}
pick <- function(fit, term, test) {
  s <- summary(fit, test = test, intercept = TRUE)$stats
  s[term, 2:6]
}
four <- function(fit, term) {
  do.call(rbind, lapply(c("Pillai", "Wilks", "Hotelling-Lawley", "Roy"), function(tst) pick(fit, term, tst)))
}
Ds <- scale_cols(D)
paired <- stat_rows(four(manova(Ds ~ 1), "(Intercept)"), "hotelling_paired", "A - B")
stacked <- scale_cols(rbind(A, B))
condition <- factor(rep(c("original", "defaced"), each = n))
prereg <- stat_rows(four(manova(stacked ~ condition), "condition"), "manova_preregistered", "condition")
site <- factor(original$site)
options(contrasts = c("contr.sum", "contr.poly"))
Ms <- scale_cols((A + B) / 2)
# The condition effect averages the sites unweighted (type III, sum-to-zero coding), as
# MANOVA.RM does; summary.manova's sequential intercept would weight sites by their size.
# car's type III hypothesis, and car's own formulas for the four statistics:
library(car)
intercept <- summary(Anova(lm(Ds ~ site), type = 3))$multivariate.tests[["(Intercept)"]]
eigenvalues <- Re(eigen(solve(intercept$SSPE) %*% intercept$SSPH, only.values = TRUE)$values)
car_test <- function(f) {
  out <- f(eigenvalues, 1, intercept$df.residual)
  c(out[1], out[2], out[3], out[4], pf(out[2], out[3], out[4], lower.tail = FALSE))
}
type3_condition <- rbind(car_test(car:::Pillai), car_test(car:::Wilks), car_test(car:::HL), car_test(car:::Roy))
between <- rbind(
  stat_rows(type3_condition, "manova_between", "condition"),
  stat_rows(four(manova(Ds ~ site), "site"), "manova_between", "site:condition"),
  stat_rows(four(manova(Ms ~ site), "site"), "manova_between", "site")
)
multivariate <- rbind(paired, prereg, between)
write.csv(multivariate, "tests/stats/reference/multivariate.csv", row.names = FALSE)
cat("wrote per_iqm.csv and multivariate.csv\n")
