"""The lab: the machinery that runs the paper's experiments at the paper's scale.

The book (geneft, statics, repons at the top level) is what a student reads; nothing
there imports the lab. Here: the ensemble trainer and its fast step (ensemble,
fastpath), the runner with its cache, results files and executors (runner, results,
executors, tuning), the presets, the figures (figs_statics, figs_dynamics, beyond,
figkit), the verdict statistics with their rules (verdicts), the report and the
benchmark. run_all.py at the top level is the one door in.
"""
