"""Check a PyTorch model of the paper against the NumPy oracle, step by step.

    python examples/torch_oracle.py                 # Table III model, 20 Adam steps, float64
    python examples/torch_oracle.py --mode sqdiff --depth 1 --steps 50 --optimizer sgd

Builds the paper's encoder-decoder in PyTorch (nn.Embedding for E, an nn.Sequential of
Linear/Tanh layers for the decoder, BCE with logits, torch.optim with one parameter
group per side), copies the oracle's initial parameters in through geneft.to_state_dict,
then takes the same optimizer steps on both and prints the largest difference of the
loss, of every gradient and of every parameter. In float64 they agree to ~1e-15.
Needs torch (`pip install torch`); geneft is imported from this checkout or from an
installed copy (`pip install .`).
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import geneft as g  # noqa: E402


def torch_model(cfg):
    """The paper's model in PyTorch, named as geneft.to_state_dict names its parameters."""
    import torch
    d_in = 2 * cfg.d if cfg.mode == "concat" else cfg.d
    fans = [d_in] + [cfg.width] * cfg.depth + [1]
    layers = []
    for l in range(1, len(fans)):
        layers.append(torch.nn.Linear(fans[l - 1], fans[l]))
        if l < len(fans) - 1:
            layers.append(torch.nn.Tanh())
    model = torch.nn.Module()
    model.E = torch.nn.Embedding(cfg.n, cfg.d)
    model.decoder = torch.nn.Sequential(*layers)
    return model.double()


def torch_loss(model, I, J, y, mode):
    """Mean BCE of the logits z = decoder(combine(E_i, E_j)), as geneft.loss_and_grads."""
    import torch
    Ei, Ej = model.E.weight[I], model.E.weight[J]
    x = {"concat": lambda: torch.cat([Ei, Ej], dim=-1), "diff": lambda: Ei - Ej,
         "sqdiff": lambda: (Ei - Ej) ** 2}[mode]()
    z = model.decoder(x).squeeze(-1)
    return torch.nn.functional.binary_cross_entropy_with_logits(z, y)


def torch_optimizer(model, cfg):
    """torch.optim with the paper's two groups: E, and every decoder weight and bias."""
    import torch
    groups = [{"params": model.E.parameters(), "lr": cfg.eta_enc, "weight_decay": cfg.wd_enc},
              {"params": model.decoder.parameters(), "lr": cfg.eta_dec, "weight_decay": cfg.wd_dec}]
    return torch.optim.Adam(groups) if cfg.optimizer == "adam" else torch.optim.SGD(groups)


def max_diff(ours, theirs):
    """Largest |ours − theirs| over every entry of two state_dict-shaped dicts."""
    return max(float(np.max(np.abs(ours[k] - theirs[k].detach().numpy()))) for k in ours)


def compare(cfg, steps):
    """Step both implementations `steps` times; returns the largest loss, gradient and
    parameter differences seen at any step."""
    import torch
    R = g.relation_matrix(cfg.relation, cfg.n)
    I, J, y = g.pair_labels(R, g.split_pairs(cfg.n, cfg.frac, cfg.seed)[0])
    y = y.astype(np.float64)
    params = g.init_params(cfg)                                    # the oracle's start
    model = torch_model(cfg)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in g.to_state_dict(params).items()})
    opt, state = torch_optimizer(model, cfg), g.adam_init(params)
    eta = {"enc": cfg.eta_enc, "dec": cfg.eta_dec}
    wd = {"enc": cfg.wd_enc, "dec": cfg.wd_dec}
    tI, tJ, ty = torch.from_numpy(I), torch.from_numpy(J), torch.from_numpy(y)
    worst = {"loss": 0.0, "gradients": 0.0, "parameters": 0.0}
    for _ in range(steps):
        loss, grads = g.loss_and_grads(params, I, J, y, cfg.mode)
        opt.zero_grad()
        t_loss = torch_loss(model, tI, tJ, ty, cfg.mode)
        t_loss.backward()
        worst["loss"] = max(worst["loss"], abs(loss - t_loss.item()))
        t_grads = {k: p.grad for k, p in model.named_parameters()}
        worst["gradients"] = max(worst["gradients"], max_diff(g.to_state_dict(grads), t_grads))
        if cfg.optimizer == "adam":
            g.adam_step(params, grads, state, eta, wd)
        else:
            g.sgd_step(params, grads, eta, wd)
        opt.step()
        worst["parameters"] = max(worst["parameters"],
                                  max_diff(g.to_state_dict(params), model.state_dict()))
    return worst


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--relation", default="mod3")
    ap.add_argument("--mode", default="concat", choices=g.MODES)
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--optimizer", default="adam", choices=g.OPTIMIZERS)
    ap.add_argument("--wd-dec", type=float, default=0.0)
    args = ap.parse_args(argv)
    try:
        import torch  # noqa: F401
    except ImportError:
        print("error: this example needs torch: pip install torch", file=sys.stderr)
        return 2
    eta = g.Config.eta_enc if args.optimizer == "adam" else 0.5    # Adam: Table III's 1e-3
    cfg = g.validate(g.Config(relation=args.relation, mode=args.mode, depth=args.depth,
                              optimizer=args.optimizer, eta_enc=eta, eta_dec=eta,
                              wd_dec=args.wd_dec, dtype="float64"))
    worst = compare(cfg, args.steps)
    print(f"{args.optimizer}, {args.mode}, depth {args.depth}, {args.steps} steps, float64: "
          "largest difference between geneft and torch")
    for what, value in worst.items():
        print(f"  {what:10s} {value:.2e}")
    return 0 if max(worst.values()) <= 1e-12 else 1


if __name__ == "__main__":
    sys.exit(main())
