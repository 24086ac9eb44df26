"""The rules behind the exploratory and quick columns, in the report's words (every
REPORT.md prints them under "The rules, and when each was written"). Each was written, or
last rewritten, after the exploratory data at the paper's budget had been seen; the
confirmatory column's rules are the preregistrations' (figures/paper/PREREGISTRATION*.md).
The statistics themselves live in lab/verdicts.py and lab/rules.py.
"""

RULES = (
    "Every interval is a 95% interval: bootstrap (1,000 resamples of the runs or seeds) for "
    "fitted slopes, places, ratios, crossings and delays; Wilson score for a proportion drawn "
    "in a figure. A bootstrap resample held to the support rule below fails it (a side with fewer "
    "than 3 runs or 2 cells: no boundary to fit) counts against the interval: it is placed below "
    "every value for the lower end and above every value for the upper end, so more than 2.5% of "
    "such resamples leave that end open (±∞) and the verdict inconclusive.",
    "'Generalized' is Table IV's generalization or grokking. A phase boundary is fitted to the "
    "generalized and memorizing runs (confusion, which trains nothing, sits on neither side) as a "
    "logistic regression of 'generalized' on the log learning rates; its slope is −β1/β2.",
    "Support before fit: a boundary (Figs. 5 and 8, the SGD control, each η_enc column) is fitted "
    "only when each side has ≥ 3 runs in ≥ 2 distinct cells and the fitted P = ½ line crosses the "
    "box of the fitted runs (a critical ratio: lies within their range); otherwise 'no boundary' "
    "and the verdict is inconclusive.",
    "A claimed slope holds when it lies in the slope's interval and the rival value (−1 against "
    "+1) does not; inconclusive when both do, or the fit has no (closed) interval; does not hold "
    "when it lies outside. Fig. 8's slope 0 holds when 0 lies in the interval unless the interval "
    "also holds both ±1 (inconclusive).",
    "'The same place for every relation' (Fig. 5) is an equivalence test: the place is log10 "
    "η_dec/η_enc on each relation's own fitted line at the grid's central η_enc; every pairwise "
    "difference (each relation resampled on its own) must have its interval within ±0.5 decade "
    "to hold; one interval wholly beyond ±0.5 does not hold; otherwise inconclusive, as when a "
    "relation's place lies off the η_dec grid: the row then says on which side, and gives the "
    "difference of the extrapolated places, marked as extrapolated and read by no rule. The SGD "
    "control compares its η_enc columns' critical ratios the same way.",
    "'Ratio ≲ 10' holds when every deciding interval lies within half a decade of 10, does not "
    "hold when one lies wholly outside; the deciding intervals are the critical ratio at slope +1 "
    "where the relation's slope interval holds +1, and each η_enc column's own transition (same "
    "support rule) where it does not, so a ratio is never read off a slope the data reject; the "
    "first page counts them.",
    "Eq. (12) is an upper bound: a point (k of m runs generalized, bound b) lies significantly "
    "above it when Holm's step-down correction over the claim's points (one Fig. 6 setting, one "
    "relation of the d ≠ 2 question) rejects P ≤ b on the exact one-sided binomial p-value "
    "P(X ≥ k | m, b) at 5%; the bound holds when no point does. The bound with σ_a, σ_c read off "
    "the network maps η_A = η_dec, which a product of decoder weights does not obey: exploratory, "
    "shown and not judged.",
    "Fig. 3: a crossing outside the grid is reported as 'below'/'above' the grid edge, never "
    "clamped. 'The inductive gap is the smallest' for the named variant (sqdiff, n_h = 0 for "
    "mod3; diff, n_h = 0 for greater) is tested on paired seeds (one seed is one training split "
    "shared by every variant at each fraction): per seed, each variant's own first 0.9 crossing "
    "of its all-pairs accuracy curve (interpolated, censored as above; 'above' is later than any "
    "value, 'below' earlier, two on the same side tie); for each other variant, the signs of "
    "(its crossing − the named one's) over the seeds go to the exact one-sided sign test (ties "
    "are zeros, which only raise p). The named variant must beat every other one: an "
    "intersection–union test, each comparison at α = 0.05 with no correction, p = the largest. "
    "Holds when every comparison has p ≤ 0.05; does not hold when another variant crosses "
    "significantly earlier (the reverse p ≤ 0.05); too few runs when the seeds cannot reach 0.05 "
    "(fewer than 5) or the per-seed curves were not saved; inconclusive otherwise. This rule "
    "replaced one of overlapping intervals after the exploratory (1e5-step) data were seen.",
    "Fig. 3's 'tracks the bound with a slightly delayed rise', judged on every variant (Table "
    "III's decoder among them): 'slightly' means the network needs at most twice the training "
    "fraction the theory needs to reach 0.9 (delay ratio f_NN/f_theory ≤ 2: the inductive gap, "
    "in training examples, is no larger than the information-theoretic requirement itself). The "
    "ratio is the variant's 0.9 crossing over the Monte Carlo bound's, its interval the "
    "crossing's bootstrap interval divided likewise (a crossing 'above' the grid leaves it open "
    "to +∞). A variant tracks slightly when its crossing's interval lies wholly below the "
    "chance-level control's (memorize the training pairs, guess the majority label: frac + "
    "(1 − frac)·q), no more than a quarter of its points exceed the bound by more than 0.01, and "
    "its ratio interval lies within (1, 2] (delayed, not ahead); it clearly does not when its "
    "ratio interval lies wholly above 2, it never reaches 0.9 in the grid, its crossing's "
    "interval lies wholly at or after the control's, or more than a quarter of its points exceed "
    "the bound; otherwise it is undecided. Holds when every variant tracks slightly; partly when "
    "some do and at least one clearly does not; does not hold when every variant clearly does "
    "not; inconclusive otherwise, or when the theory's crossing lies outside the grid. This rule "
    "was written after the exploratory (1e5-step) data were seen, so it is exploratory.",
    "Paired seeds are tested exactly: the one-sided sign-flip test enumerates all 2^n sign "
    "patterns of the n per-seed differences (no t-test, no p = 0 on differences without spread); "
    "its smallest attainable p is 2^-n, and a design that cannot reach its level (α over the "
    "size of its Holm family) reads 'too few runs' (shown 'not tested'), never 'does not hold'.",
    "Fig. 7 and the Goldilocks map, exploratory and quick columns: the zone is the interior depths "
    "where most of the same seeds generalize (so zone and test share their seeds); ends are the "
    "shallowest and deepest depth. Holds when the zone's mean test accuracy beats each end seed by "
    "seed (sign-flip p ≤ α at both ends: an intersection–union test), most seeds are confusion at "
    "the shallow end, memorization at the deep end, and most of the zone's runs generalized; does "
    "not hold with no zone, wrong phases, or an end significantly above the zone; inconclusive "
    "otherwise. The Goldilocks map applies Holm over each relation's widths. The confirmatory "
    "column applies the same test to the zones and ends registered in advance "
    "(figures/paper/PREREGISTRATION.md), on fresh seeds.",
    "Theorem 1 as stated needs an injective decoder, which a continuous decoder R^{2d} → R never "
    "is: 'vacuous premise'. Its practical reading holds when generalized runs have median cluster "
    "ratio < 0.2 and memorized runs > 0.5, with median embedding displacements within a factor 3 "
    "of each other; does not hold when either median misses its side (≥ 0.2, or ≤ 0.5); "
    "inconclusive with an empty group, or with the ratios right but the displacements more than "
    "a factor 3 apart.",
    "Statics and the repon theory (exact computations): Monte Carlo agrees within 3 standard "
    "errors; Eq. (5) agrees roughly with the Monte Carlo bound within 0.1 (partly: 0.2).",
)
