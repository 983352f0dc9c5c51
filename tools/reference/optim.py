"""Optimizer trajectories: a tiny float64 MLP (3 -> 4 -> 2, tanh, mean squared error on fixed
data) trained 50 steps under each torch.optim configuration.

Fixture optim_trajectories.safetensors:
  init.<p>          the parameters before training: W [4, 1, 3] (a conv-like weight whose rows are
                    the hidden units), b1 [4], w2 [2, 4], b2 [2]
  x [8, 3], y [8, 2] the data; loss = mean((tanh(x W^T + b1) w2^T + b2 - y)^2)
  <case>.loss       [50] the loss before each step
  <case>.<p>        [5, ...] the parameter after steps 10, 20, 30, 40, 50
Masked cases (grad mode: the gradient entries of the masked units are zeroed before the step):
on even steps t (0-based) W's output channel t % 4 and w2's elements e with (e + t) % 3 == 0.
"""

import torch

from .common import Tensors, case

STEPS = 50
NAMES = ["W", "b1", "w2", "b2"]

CONFIGS = {
    "sgd": ("SGD", {"lr": 0.1}),
    "sgd_momentum": ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    "sgd_nesterov_wd": ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    "adam": ("Adam", {"lr": 0.01}),
    "adam_amsgrad": ("Adam", {"lr": 0.01, "amsgrad": True}),
    "adam_wd": ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1}),
    "adamw": ("AdamW", {"lr": 0.01, "weight_decay": 0.1}),
    "sgd_groups": ("SGD", {"lr": 0.05, "momentum": 0.5}),  # group 0 overrides lr and momentum
    "masked_sgd": ("SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.05}),
    "masked_adam": ("Adam", {"lr": 0.01}),
}


def loss_of(params, x, y):
    W, b1, w2, b2 = params
    hidden = torch.tanh(x @ W.reshape(4, 3).T + b1)
    return ((hidden @ w2.T + b2 - y) ** 2).mean()


def mask_gradients(params, t):
    if t % 2:
        return
    W, _, w2, _ = params
    W.grad[t % 4] = 0
    flat = w2.grad.view(-1)
    for e in range(flat.numel()):
        if (e + t) % 3 == 0:
            flat[e] = 0


def run(name, init, x, y):
    kind, options = CONFIGS[name]
    params = [p.clone().requires_grad_(True) for p in init]
    if name == "sgd_groups":
        groups = [{"params": params[:2], "lr": 0.1, "momentum": 0.9}, {"params": params[2:]}]
    else:
        groups = [{"params": params}]
    optimizer = getattr(torch.optim, kind)(groups, **options)
    losses, snapshots = [], {n: [] for n in NAMES}
    for t in range(STEPS):
        optimizer.zero_grad(set_to_none=True)
        loss = loss_of(params, x, y)
        loss.backward()
        if name.startswith("masked"):
            mask_gradients(params, t)
        optimizer.step()
        losses.append(loss.detach())
        if (t + 1) % 10 == 0:
            for n, p in zip(NAMES, params):
                snapshots[n].append(p.detach().clone())
    out = {f"{name}.loss": torch.stack(losses)}
    for n in NAMES:
        out[f"{name}.{n}"] = torch.stack(snapshots[n])
    return out


@case("optim_trajectories")
def optim_trajectories():
    generator = torch.Generator().manual_seed(4)
    draw = lambda *shape: torch.randn(*shape, generator=generator, dtype=torch.float64)
    init = [draw(4, 1, 3) * 0.5, draw(4) * 0.1, draw(2, 4) * 0.5, draw(2) * 0.1]
    x, y = draw(8, 3), draw(8, 2)
    tensors = {f"init.{n}": p for n, p in zip(NAMES, init)}
    tensors.update({"x": x, "y": y})
    for name in CONFIGS:
        tensors.update(run(name, init, x, y))
    return Tensors(tensors, {"steps": STEPS, "configs": {k: [v[0], v[1]] for k, v in CONFIGS.items()}})
