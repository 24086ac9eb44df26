"""Check a JAX model of the paper against the NumPy oracle, step by step.

    python examples/jax_oracle.py                   # Table III model, 20 Adam steps, float64
    python examples/jax_oracle.py --all             # the 3 combine modes × depths 0, 1, 3
    python examples/jax_oracle.py --mode sqdiff --depth 1 --steps 50 --optimizer sgd

The model as a JAX user writes it: a dict of arrays in the oracle's own layout (W is (in,
out), a layer is h @ W + b, so no conversion is needed), the loss differentiated by
jax.value_and_grad, and Adam written out with torch.optim.Adam's conventions (weight decay
added to the gradient, bias correction, ε outside the root). Both start from the oracle's
initial parameters and take the same optimizer steps; the example prints the largest
difference of the loss, of every gradient and of every parameter, as
examples/torch_oracle.py does. In float64 they agree to ~1e-16. Needs jax (`pip install
jax`); geneft is imported from this checkout or from an installed copy (`pip install .`).
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import geneft as g  # noqa: E402


def jax_loss(params, I, J, y, mode):
    """Mean BCE of the logits z = decoder(combine(E_i, E_j)), as geneft.loss_and_grads."""
    import jax.numpy as jnp
    Ei, Ej = params["E"][I], params["E"][J]
    h = {"concat": lambda: jnp.concatenate([Ei, Ej], axis=-1), "diff": lambda: Ei - Ej,
         "sqdiff": lambda: (Ei - Ej) ** 2}[mode]()
    L = len(params) // 2                                   # linear layers, the output included
    for l in range(1, L):
        h = jnp.tanh(h @ params[f"W{l}"] + params[f"b{l}"])
    z = (h @ params[f"W{L}"])[:, 0] + params[f"b{L}"]
    return jnp.mean(jnp.logaddexp(0.0, z) - y * z)


def jax_step(params, grads, state, cfg):
    """One step of torch.optim.Adam (or SGD) with the paper's two groups, E and the decoder;
    returns new params (JAX arrays are immutable)."""
    import jax.numpy as jnp
    b1, b2, eps = 0.9, 0.999, 1e-8
    state["t"] += 1
    t, new = state["t"], {}
    for k, p in params.items():
        eta, wd = (cfg.eta_enc, cfg.wd_enc) if k == "E" else (cfg.eta_dec, cfg.wd_dec)
        gk = grads[k] + wd * p
        if cfg.optimizer == "sgd":
            new[k] = p - eta * gk
            continue
        state["m"][k] = b1 * state["m"][k] + (1 - b1) * gk
        state["v"][k] = b2 * state["v"][k] + (1 - b2) * gk ** 2
        m_hat, v_hat = state["m"][k] / (1 - b1 ** t), state["v"][k] / (1 - b2 ** t)
        new[k] = p - eta * m_hat / (jnp.sqrt(v_hat) + eps)
    return new


def max_diff(ours, theirs):
    """Largest |ours − theirs| over every entry of two dicts of arrays with the same keys."""
    return max(float(np.max(np.abs(ours[k] - np.asarray(theirs[k])))) for k in ours)


def compare(cfg, steps):
    """Step both implementations `steps` times; returns the largest loss, gradient and
    parameter differences seen at any step."""
    import jax
    import jax.numpy as jnp
    R = g.relation_matrix(cfg.relation, cfg.n)
    I, J, y = g.pair_labels(R, g.split_pairs(cfg.n, cfg.frac, cfg.seed)[0])
    y = y.astype(np.float64)
    params = g.init_params(cfg)                                    # the oracle's start
    jparams = {k: jnp.asarray(v) for k, v in params.items()}
    value_and_grad = jax.jit(jax.value_and_grad(jax_loss), static_argnums=4)
    state, jstate = g.adam_init(params), {"t": 0, "m": {k: jnp.zeros_like(v) for k, v in jparams.items()},
                                          "v": {k: jnp.zeros_like(v) for k, v in jparams.items()}}
    eta = {"enc": cfg.eta_enc, "dec": cfg.eta_dec}
    wd = {"enc": cfg.wd_enc, "dec": cfg.wd_dec}
    jI, jJ, jy = jnp.asarray(I), jnp.asarray(J), jnp.asarray(y)
    worst = {"loss": 0.0, "gradients": 0.0, "parameters": 0.0}
    for _ in range(steps):
        loss, grads = g.loss_and_grads(params, I, J, y, cfg.mode)
        j_loss, j_grads = value_and_grad(jparams, jI, jJ, jy, cfg.mode)
        worst["loss"] = max(worst["loss"], abs(loss - float(j_loss)))
        worst["gradients"] = max(worst["gradients"], max_diff(grads, j_grads))
        if cfg.optimizer == "adam":
            g.adam_step(params, grads, state, eta, wd)
        else:
            g.sgd_step(params, grads, eta, wd)
        jparams = jax_step(jparams, j_grads, jstate, cfg)
        worst["parameters"] = max(worst["parameters"], max_diff(params, jparams))
    return worst


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--relation", default="mod3")
    ap.add_argument("--mode", default="concat", choices=g.MODES)
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--optimizer", default="adam", choices=g.OPTIMIZERS)
    ap.add_argument("--wd-dec", type=float, default=0.0)
    ap.add_argument("--all", action="store_true", help="every combine mode at depths 0, 1 and 3")
    args = ap.parse_args(argv)
    try:
        import jax
    except ImportError:
        print("error: this example needs jax: pip install jax", file=sys.stderr)
        return 2
    jax.config.update("jax_enable_x64", True)                     # float64, as the oracle
    eta = g.Config.eta_enc if args.optimizer == "adam" else 0.5    # Adam: Table III's 1e-3
    settings = ([(m, d) for m in g.MODES for d in (0, 1, 3)] if args.all
                else [(args.mode, args.depth)])
    worst_of_all = 0.0
    for mode, depth in settings:
        cfg = g.validate(g.Config(relation=args.relation, mode=mode, depth=depth,
                                  optimizer=args.optimizer, eta_enc=eta, eta_dec=eta,
                                  wd_dec=args.wd_dec, dtype="float64"))
        worst = compare(cfg, args.steps)
        print(f"{args.optimizer}, {mode}, depth {depth}, {args.steps} steps, float64: "
              "largest difference between geneft and jax")
        for what, value in worst.items():
            print(f"  {what:10s} {value:.2e}")
        worst_of_all = max(worst_of_all, *worst.values())
    return 0 if worst_of_all <= 1e-12 else 1


if __name__ == "__main__":
    sys.exit(main())
