"""Where a phase boundary of Fig. 5 sits, claim by claim: at the same place for every
relation (an equivalence test on the pairwise differences of place), the rule of thumb
η_dec/η_enc ≲ 10 (each deciding interval within half a decade of 10), and the SGD control
(one critical ratio whatever η_enc). The boundaries themselves are fitted in lab/verdicts.py
(figkit.boundary_of); lab/figs_dynamics.py draws Fig. 5 and calls these for its rows.
"""
from lab import figkit, verdicts
from lab.report import Row

SAME_PLACE_MARGIN = 0.5   # decades: 'the same place' and 'about 10' both allow a factor √10


def _columns_text(cols):
    return ", ".join(f"η_enc 10^{xv:.2f}: " + (f"10^{i.text('.2f')}" if i.value is not None else "no boundary")
                     for xv, i in cols)


def near_ten(intervals):
    """'ratio ≲ 10': HOLDS when every interval lies within half a decade of 10, DOES_NOT_HOLD
    when one lies wholly outside, INCONCLUSIVE otherwise (or with none fitted)."""
    ivs = [i for i in intervals if i.value is not None]
    if not ivs:
        return verdicts.INCONCLUSIVE, "no boundary with support"
    lo, hi = 1 - SAME_PLACE_MARGIN, 1 + SAME_PLACE_MARGIN
    if all(lo <= i.lo and i.hi <= hi for i in ivs):
        return verdicts.HOLDS, "every ratio's interval lies within half a decade of 10"
    if any(i.hi < lo or i.lo > hi for i in ivs):
        return verdicts.DOES_NOT_HOLD, "a ratio's interval lies wholly outside half a decade of 10"
    return verdicts.INCONCLUSIVE, "a ratio's interval straddles half a decade from 10"


def extrapolated_text(fits, a, b):
    """The difference of two places where one lies off the grid: its side and the
    difference of the extrapolated places, marked as such (no rule reads it)."""
    ea, eb = (fits[r]["place_extrapolated"] or fits[r]["place"] for r in (a, b))
    if ea[0] is None or eb[0] is None:
        return "no place (no boundary with support)"
    sides = [f"{r} passes {e[2]} the grid" for r, e in ((a, ea), (b, eb)) if e[2]]
    d = verdicts.open_interval(ea[0] - eb[0], ea[1] - eb[1], 0)
    return f"{d.text('+.2f')} extrapolated ({', '.join(sides)})"


def deciding_ratios(fits):
    """'Ratio ≲ 10' reads, per relation, the critical ratio at slope +1 where the slope's
    interval holds +1, and each η_enc column's own transition where it rejects +1:
    [(label, Interval), ...] of the fitted ones, and the texts of every one."""
    ivs, texts = [], []
    for r, f in fits.items():
        s = f["slope"]
        if s.value is not None and not s.contains(1.0):
            cols = [(xv, i) for xv, i in f["columns"]]
            ivs += [(f"{r} η_enc 10^{xv:.2f}", i) for xv, i in cols if i.value is not None]
            texts.append(f"{r} (slope +1 rejected): {_columns_text(cols)}")
        else:
            ivs += [(r, f["critical"])] if f["critical"].value is not None else []
            texts.append(f"{r} (slope +1 allowed): {figkit.ratio_text(f['critical'].to_json())}")
    return ivs, texts


def ratio_claims(where, fits, x0, label=""):
    """Rows for where the boundary sits. fits: {relation: figkit.boundary_of(..., x0)}.

    'The same place for every relation' is an equivalence test on the pairwise differences
    of the boundary's place, log10 η_dec/η_enc on each relation's own fitted line at the
    grid's central η_enc (10^x0): verdicts.equal_within with SAME_PLACE_MARGIN; a place off
    the grid says on which side, with the extrapolated difference marked as such (no rule
    reads it). 'Ratio ≲ 10' reads the critical ratio at slope +1 where the relation's
    slope interval holds +1, and each η_enc column's own transition where it rejects +1
    (deciding_ratios, near_ten); its number shows those deciding intervals."""
    rels = list(fits)
    places = {r: verdicts.samples_interval(fits[r]["place"]) for r in rels}
    diffs = {(a, b): verdicts.place_difference(fits[a]["place"], fits[b]["place"])
             for i, a in enumerate(rels) for b in rels[i + 1:]}
    same = verdicts.equal_within(list(diffs.values()), SAME_PLACE_MARGIN)
    text = "; ".join(f"{r}: 10^{places[r].text('.2f')}" if places[r].value is not None
                     else f"{r}: {places[r].note}" for r in rels)
    diff_text = lambda a, b, d: d.text("+.2f") if d.value is not None else extrapolated_text(fits, a, b)
    dtext = "; ".join(f"{a} − {b}: {diff_text(a, b, d)}" for (a, b), d in diffs.items())
    why_same = {verdicts.HOLDS: f"every difference lies within ±{SAME_PLACE_MARGIN} decade",
                verdicts.DOES_NOT_HOLD: f"a difference lies wholly beyond ±{SAME_PLACE_MARGIN} decade",
                verdicts.INCONCLUSIVE: f"a difference's interval straddles ±{SAME_PLACE_MARGIN} decade "
                                       "or has no place in the grid"}[same]
    ivs, texts = deciding_ratios(fits)
    ten, why_ten = near_ten([i for _, i in ivs])
    lo, hi = 1 - SAME_PLACE_MARGIN, 1 + SAME_PLACE_MARGIN
    inside = sum(lo <= i.lo and i.hi <= hi for _, i in ivs)
    outside = [(n, i) for n, i in ivs if i.hi < lo or i.lo > hi]
    crit = "; ".join(f"{r}: {figkit.ratio_text(fits[r]['critical'].to_json())}" for r in rels)
    off = [f"{r} {e[2]} the grid" for r in rels for e in [fits[r].get("place_extrapolated")] if e and e[2]]
    brief = ", ".join([f"{a} − {b} {d.text('+.2f')}" for (a, b), d in diffs.items() if d.value is not None]
                      + off)
    sides = [(r, e[2]) for r in rels for e in [fits[r].get("place_extrapolated")] if e and e[2]]
    return [Row(f"Fig. 5 {where}: the boundary sits at about the same place for every relation "
                f"(log10 η_dec/η_enc on each relation's fitted line at the grid's central η_enc; "
                f"pairwise differences within ±{SAME_PLACE_MARGIN} decade)", "task-independent",
                f"place at η_enc = 10^{x0:.2f}: {text}; differences [95% bootstrap] {dtext}", same,
                group="Fig. 5: the boundary appears approximately at the same intercept for every "
                      "relation (task-independent)", short="Fig. 5: the same boundary for every relation",
                number=(f"{label}: " if label else "") + "; ".join(
                    f"{a} − {b} {diff_text(a, b, d)}" for (a, b), d in diffs.items()),
                why=why_same, headline=f"{label} {brief}".strip()),
            Row(f"Fig. 5 {where}: generalization requires η_dec/η_enc ≲ 10 (within half a decade "
                "of 10: the slope-+1 critical ratio where the slope allows +1, each η_enc column's "
                "own transition where it does not)", "ratio ≲ 10",
                "deciding intervals: " + "; ".join(texts) + f"; for comparison, the critical ratio at "
                f"slope +1 of every relation: {crit}", ten,
                group="Fig. 5: generalization requires η_dec/η_enc ≲ 10", short="Fig. 5: η_dec/η_enc ≲ 10",
                number=(f"{label}: " if label else "") + f"{len(ivs)} deciding intervals, {inside} within "
                       f"10^[{lo:g}, {hi:g}], {len(outside)} wholly outside"
                       + (f" ({outside[0][0]}: 10^{outside[0][1].text('.2f')})" if outside else ""),
                why=why_ten, headline=f"{label} {inside}/{len(ivs)} within, {len(outside)} outside".strip())], \
        (diffs, sides), (inside, len(ivs), len(outside))


def sgd_row(sgd):
    """The SGD control: its columns' critical ratios and their difference (same margin)."""
    cols = sgd["columns"]
    fits, ivs = [], []
    for k, col in enumerate(cols):
        x, y, gen = figkit.grid_runs([col["eta_enc"]], [col["eta_enc"] * r for r in sgd["ratios"]],
                                     [col["phases"]])
        fits.append(verdicts.ratio_samples(x, y, gen, seed=k))
        ivs.append(verdicts.samples_interval(fits[-1], len(gen)))
    diffs = [verdicts.place_difference(fits[i], fits[j]) for i in range(len(fits)) for j in range(i + 1, len(fits))]
    verdict = verdicts.equal_within(diffs, SAME_PLACE_MARGIN) if len(cols) > 1 else verdicts.INCONCLUSIVE
    if any(i.value is None and "boundary needs" in i.note for i in ivs):
        verdict = verdicts.NO_SUPPORT       # a side of the boundary never occurred: nothing to fit
    text = "; ".join(f"η_enc {col['eta_enc']:g}: " + (f"10^{i.text('.2f')}" if i.value is not None
                                                      else i.text()) for col, i in zip(cols, ivs))
    seen = "; ".join(f"η_enc {col['eta_enc']:g}: " + ", ".join(
        f"ratio {r:g} {figkit.phase_counts(ph)}" for r, ph in zip(sgd["ratios"], col["phases"]))
        for col in cols)
    return Row(f"Fig. 5, SGD control ({sgd.get('relation', 'mod3')}, SGD, depth 3 hidden reading, Table III init): the boundary "
               "sits at one ratio η_dec/η_enc whatever η_enc (slope +1, as Eq. (12) says for gradient "
               f"flow; column differences within ±{SAME_PLACE_MARGIN} decade)", "(control)",
               f"critical ratio per column {text}; differences " + ("; ".join(d.text('+.2f') for d in diffs)
                                                                    or "none") +
               f" ({sgd['seeds']} seeds per point); phases: {seen}", verdict,
               group="Beyond the paper: SGD control of Fig. 5 (one critical ratio whatever η_enc)",
               short="SGD control of Fig. 5: one critical ratio",
               number=("; ".join(d.text("+.2f") for d in diffs) or "—") if verdict != verdicts.NO_SUPPORT
               else next(i.note for i in ivs if i.value is None).split(";")[0] + ": no boundary to fit",
               why=next((i.note for i in ivs if i.value is None), "") or
               {verdicts.HOLDS: "the columns' difference lies within the margin",
                verdicts.DOES_NOT_HOLD: "the columns' difference lies beyond the margin"}.get(
                   verdict, "the difference straddles the margin"))


def place_headline(places):
    """'mod3 − greater: -0.1 [-0.8, +0.4] hidden, -0.3 [-0.8, +0.2] linear; bipartite above the
    grid in both': each pair's difference of place across readings, then the relations whose
    place lies off the grid. places: {reading: (diffs {(a, b): Interval}, [(relation, side)])}."""
    pairs, off = {}, {}
    for conv, (diffs, sides) in places.items():
        for (a, b), iv in diffs.items():
            if iv.value is not None:
                pairs.setdefault(f"{a} − {b}", []).append(f"{iv.text('+.1f')} {conv}")
        for rel, side in sides:
            off.setdefault((rel, side), []).append(conv)
    parts = [f"{pair}: {', '.join(texts)}" for pair, texts in pairs.items()]
    parts += [f"{rel} {side} the grid" + (" in both" if len(convs) == len(places) > 1 else f" ({', '.join(convs)})")
              for (rel, side), convs in off.items()]
    return "; ".join(parts) or "no place with support"
