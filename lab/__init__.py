"""The lab: the machinery that runs the paper's experiments at the paper's scale.

The book (geneft, statics, repons at the top level) is what a student reads; nothing
there imports the lab. Here: the ensemble trainer and its fast step (ensemble,
fastpath), the runner with its cache, results files and their provenance (runner,
results, provenance), the executors (executors, cluster, shipped, tuning, console), the
presets, the figures (figs_statics, figs_dynamics, places, theorem1, beyond, figkit), the
verdict statistics with their rules (verdicts, rules, rulebook), the two preregistered
confirmations (confirm; confirm2, exact, figs_confirm2, power2; registration), the report
(report, summary) and the benchmark. run_all.py at the top level is the one door in.
"""
