# Reference values for iqmstats' ratings analysis, from the bundled S1 table with lme4 (ML) and
# base R / car. Conditions from S1's own `defaced` column (0 original, 1 defaced); effects are
# original minus defaced. Run from the repository root:  Rscript tests/stats/reference/ratings.R
# Writes tests/stats/reference/ratings_{lme,lme_first,rm_anova}.csv. R 4.2.2, lme4 1.1 (Debian packages).
suppressMessages({library(lme4); library(car)})
s1 <- read.delim("src/iqmstats/examples/data/ixi-defacing/S1_Data.tsv", colClasses = "character")
s1$rating <- as.numeric(s1$rating)
s1$condition <- factor(ifelse(s1$defaced == "1", "defaced", "original"), levels = c("defaced", "original"))
rows <- list()
fit_pair <- function(data, formula, null, model) {
  full <- lmer(formula, data = data, REML = FALSE)
  reduced <- lmer(null, data = data, REML = FALSE)
  lrt <- anova(reduced, full)
  est <- fixef(full)[["conditionoriginal"]]
  se <- sqrt(vcov(full)[2, 2])
  vc <- as.data.frame(VarCorr(full))
  data.frame(model = model, estimate = est, se = se, chi2 = lrt$Chisq[2], df = lrt$Df[2],
             p_value = lrt$`Pr(>Chisq)`[2], loglik = as.numeric(logLik(full)),
             var_participant = vc$vcov[vc$grp == "subject"],
             var_rater = if (any(vc$grp == "rater_id")) vc$vcov[vc$grp == "rater_id"] else NA,
             var_residual = vc$vcov[vc$grp == "Residual"])
}
rows[[1]] <- fit_pair(s1, rating ~ condition + (1 | subject) + (1 | rater_id), rating ~ 1 + (1 | subject) + (1 | rater_id), "all raters")
for (r in sort(unique(s1$rater_id))) {
  rows[[length(rows) + 1]] <- fit_pair(s1[s1$rater_id == r, ], rating ~ condition + (1 | subject), rating ~ 1 + (1 | subject), r)
}
poor <- s1[s1$rating <= 2.45, ]
rows[[length(rows) + 1]] <- fit_pair(poor, rating ~ condition + (1 | subject) + (1 | rater_id), rating ~ 1 + (1 | subject) + (1 | rater_id), "poor/exclude ratings")
write.csv(do.call(rbind, rows), "tests/stats/reference/ratings_lme.csv", row.names = FALSE)

# The study's published analysis: each rater's first presentation of an image only, "first" in the
# order the export lists the ratings (iqmstats' repeats = "first"): chi2(1) = 6.28, p = 0.012.
first <- s1[!duplicated(s1[, c("rater_id", "subject", "defaced")]), ]
write.csv(fit_pair(first, rating ~ condition + (1 | subject) + (1 | rater_id), rating ~ 1 + (1 | subject) + (1 | rater_id),
                   "all raters, first presentations"), "tests/stats/reference/ratings_lme_first.csv", row.names = FALSE)

# Repeated-measures ANOVA condition x rater on participants' mean ratings (over presentations)
means <- aggregate(rating ~ subject + condition + rater_id, data = s1, FUN = mean)
means$cell <- paste(means$condition, means$rater_id, sep = ".")
wide <- reshape(means[, c("subject", "cell", "rating")], idvar = "subject", timevar = "cell", direction = "wide")
cells <- expand.grid(rater = sort(unique(s1$rater_id)), condition = c("defaced", "original"))
columns <- paste0("rating.", cells$condition, ".", cells$rater)
fit <- lm(as.matrix(wide[, columns]) ~ 1)
idata <- data.frame(condition = factor(cells$condition), rater = factor(cells$rater))
aov <- summary(Anova(fit, idata = idata, idesign = ~ condition * rater, type = 3), multivariate = FALSE)
uni <- aov$univariate.tests
gg <- aov$pval.adjustments
mauchly <- aov$sphericity.tests
out <- data.frame(effect = rownames(uni)[-1], ss = uni[-1, "Sum Sq"], df1 = uni[-1, "num Df"],
                  df2 = uni[-1, "den Df"], f = uni[-1, "F value"], p_value = uni[-1, "Pr(>F)"])
out$gg_epsilon <- NA; out$p_gg <- NA; out$mauchly_w <- NA; out$p_mauchly <- NA
for (e in rownames(gg)) {
  out[out$effect == e, "gg_epsilon"] <- gg[e, "GG eps"]
  out[out$effect == e, "p_gg"] <- gg[e, "Pr(>F[GG])"]
  out[out$effect == e, "mauchly_w"] <- mauchly[e, "Test statistic"]
  out[out$effect == e, "p_mauchly"] <- mauchly[e, "p-value"]
}
write.csv(out, "tests/stats/reference/ratings_rm_anova.csv", row.names = FALSE)
cat("wrote ratings_lme.csv, ratings_lme_first.csv and ratings_rm_anova.csv\n")
