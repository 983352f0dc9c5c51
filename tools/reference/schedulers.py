"""Learning-rate schedules and gradient clipping as PyTorch 1.13 computes them.

The case "schedulers" (tools/make_reference.py schedulers) writes
tests/fixtures/schedulers.safetensors, which tests/optim/parity_schedulers_test.cpp reads. These
are trajectories, not a module's pass, so the case returns its own tensors. Layout (all float64):

  <case>.lr              [61, 2]: get_last_lr() after construction, then after each of 60 steps,
                         for a torch.optim.SGD with two parameter groups (lr 0.1 and 0.03)
  <case>.metric          [60]: the metrics fed to step() (ReduceLROnPlateau cases)
  clip.grad.<i>          the gradients before clipping (parameter 3 has none)
  clip_norm_<p>.total    clip_grad_norm_'s return value, p in 2, 1, inf (and 2_unclipped)
  clip_norm_<p>.grad.<i> the gradients after it
  clip_value.grad.<i>    the gradients after clip_grad_value_

metadata {"config": JSON of every case's arguments}; the C++ test builds its schedulers from it.
"""

import math
import warnings

import torch
from torch.optim import lr_scheduler

from reference import common

STEPS = 60
LRS = [0.1, 0.03]

# Each case: a constructor name and its arguments; "sequential" lists (scheduler, args) pairs.
SCHEDULES = {
    "step": ("StepLR", {"step_size": 7, "gamma": 0.5}),
    "multi_step": ("MultiStepLR", {"milestones": [5, 12, 30, 31], "gamma": 0.3}),
    "cosine": ("CosineAnnealingLR", {"T_max": 25, "eta_min": 0.001}),
    "cosine_30": ("CosineAnnealingLR", {"T_max": 30, "eta_min": 0.0}),
    "linear_warmup": ("LinearLR", {"start_factor": 0.25, "end_factor": 1.0, "total_iters": 8}),
    "linear_decay": ("LinearLR", {"start_factor": 1.0, "end_factor": 0.1, "total_iters": 20}),
    "warmup_cosine": (
        "SequentialLR",
        {
            "schedulers": [
                ["LinearLR", {"start_factor": 0.1, "end_factor": 1.0, "total_iters": 5}],
                ["CosineAnnealingLR", {"T_max": 55, "eta_min": 0.0001}],
            ],
            "milestones": [5],
        },
    ),
    "sequential_three": (
        "SequentialLR",
        {
            "schedulers": [
                ["LinearLR", {"start_factor": 0.5, "end_factor": 1.0, "total_iters": 4}],
                ["StepLR", {"step_size": 5, "gamma": 0.5}],
                ["CosineAnnealingLR", {"T_max": 10, "eta_min": 0.0}],
            ],
            "milestones": [4, 20],
        },
    ),
}

PLATEAUS = {
    "plateau_min_rel": {
        "mode": "min", "factor": 0.5, "patience": 2, "threshold": 0.01, "threshold_mode": "rel",
        "cooldown": 3, "min_lr": [0.002, 0.004], "eps": 1e-8,
    },
    "plateau_max_abs": {
        "mode": "max", "factor": 0.3, "patience": 1, "threshold": 0.05, "threshold_mode": "abs",
        "cooldown": 2, "min_lr": [0.001], "eps": 1e-8,
    },
}

CLIP_MAX_NORM = {"2": 1.0, "1": 2.5, "inf": 0.4, "2_unclipped": 100.0}
CLIP_VALUE = 0.5


def optimizer():
    groups = [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in LRS]
    return torch.optim.SGD(groups, lr=LRS[0])


def build(name, args, opt):
    if name == "SequentialLR":
        children = [build(child, child_args, opt) for child, child_args in args["schedulers"]]
        return lr_scheduler.SequentialLR(opt, children, milestones=args["milestones"])
    return getattr(lr_scheduler, name)(opt, **args)


def metrics(mode):
    """60 metrics: improvement, plateaus with small wiggles, a late improvement, a long plateau."""
    values = []
    for t in range(STEPS):
        if t < 8:
            value = 1.0 - 0.05 * t
        elif t < 20:
            value = 0.65 + 0.002 * math.sin(t)
        elif t < 24:
            value = 0.5 - 0.03 * (t - 20)
        else:
            value = 0.4 + 0.001 * math.cos(3 * t)
        values.append(value if mode == "min" else 2.0 - value)
    return values


def trajectories(tensors):
    # SequentialLR's switch uses the deprecated step(epoch), which warns.
    warnings.filterwarnings("ignore", category=UserWarning)
    for case, (name, args) in SCHEDULES.items():
        opt = optimizer()
        scheduler = build(name, args, opt)
        rows = [scheduler.get_last_lr()]
        for _ in range(STEPS):
            opt.step()
            scheduler.step()
            rows.append(scheduler.get_last_lr())
        tensors[f"{case}.lr"] = torch.tensor(rows, dtype=torch.float64)
    for case, args in PLATEAUS.items():
        opt = optimizer()
        options = dict(args)
        options["min_lr"] = args["min_lr"] if len(args["min_lr"]) > 1 else args["min_lr"][0]
        scheduler = lr_scheduler.ReduceLROnPlateau(opt, **options)
        rows = [[group["lr"] for group in opt.param_groups]]
        values = metrics(args["mode"])
        for value in values:
            scheduler.step(value)
            rows.append(scheduler._last_lr)
        tensors[f"{case}.lr"] = torch.tensor(rows, dtype=torch.float64)
        tensors[f"{case}.metric"] = torch.tensor(values, dtype=torch.float64)


def gradients():
    generator = torch.Generator().manual_seed(4)
    shapes = [(3, 4), (5,), (2, 2, 2)]
    return [torch.randn(shape, generator=generator, dtype=torch.float64) for shape in shapes]


def clipping(tensors):
    grads = gradients()
    for i, grad in enumerate(grads):
        tensors[f"clip.grad.{i}"] = grad

    def parameters():
        params = [torch.zeros_like(grad, requires_grad=True) for grad in grads]
        for param, grad in zip(params, grads):
            param.grad = grad.clone()
        return params + [torch.zeros(2, dtype=torch.float64, requires_grad=True)]

    for key, max_norm in CLIP_MAX_NORM.items():
        params = parameters()
        norm_type = float(key.split("_")[0])
        total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
        tensors[f"clip_norm_{key}.total"] = total.reshape(())
        for i, param in enumerate(params[:-1]):
            tensors[f"clip_norm_{key}.grad.{i}"] = param.grad
    params = parameters()
    torch.nn.utils.clip_grad_value_(params, CLIP_VALUE)
    for i, param in enumerate(params[:-1]):
        tensors[f"clip_value.grad.{i}"] = param.grad


@common.case("schedulers")
def schedulers():
    tensors = {}
    trajectories(tensors)
    clipping(tensors)
    config = {
        "steps": STEPS, "lrs": LRS, "schedules": {k: list(v) for k, v in SCHEDULES.items()},
        "plateaus": PLATEAUS, "clip_max_norm": CLIP_MAX_NORM, "clip_value": CLIP_VALUE,
    }
    return common.Tensors(tensors, config)
