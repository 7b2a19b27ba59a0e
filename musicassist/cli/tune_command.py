"""``musicassist tune``: reinforcement-learning fine-tuning of a model towards music-theory rules (issue 16)."""

from __future__ import annotations

import argparse
from pathlib import Path

from musicassist.core.errors import OptionError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "tune", help="fine-tune a model towards music-theory rules, staying close to it (KL control)",
        description="Fine-tune a model by reinforcement learning with rule rewards and a KL penalty to the model "
                    "it starts from. Presets: 'folk melody', 'chorale'; or rule names.")
    parser.add_argument("--init", default="default", metavar="MODEL", help="the prior: a model folder or shipped name")
    parser.add_argument("--rules", required=True, metavar="NAME[,NAME...]",
                        help="presets and/or rules, comma separated, e.g. 'folk melody' or resolve_leaps,in_key")
    parser.add_argument("--weights", default=None, metavar="RULE=W,...", help="override rule weights")
    parser.add_argument("--kl", type=float, default=0.5, help="KL penalty coefficient (default 0.5)")
    parser.add_argument("--lr", type=float, default=2e-5, help="Adam learning rate (default 2e-5)")
    parser.add_argument("--seeds", type=int, default=16, help="seeds per iteration (default 16)")
    parser.add_argument("--per-seed", type=int, default=4, help="continuations per seed (default 4)")
    parser.add_argument("--time-budget", type=float, default=55.0, metavar="MIN", help="minutes (default 55)")
    parser.add_argument("--iterations", type=int, default=100000, help="stop after this many iterations")
    parser.add_argument("--checkpoint-minutes", type=float, default=4.0)
    parser.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
    parser.add_argument("--out", required=True, type=Path, help="model folder to write, e.g. models/tuned-folk")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from musicassist.ml import model_store
    from musicassist.ml.tune_rewards import resolve_weights

    weights = resolve_weights(args.rules.split(","), args.weights)
    if args.kl < 0 or args.lr <= 0 or args.seeds < 1 or args.per_seed < 2 or args.time_budget <= 0:
        raise OptionError("--kl must be >= 0, --lr, --seeds and --time-budget positive, --per-seed at least 2.")
    model_store.read_config(model_store.resolve_model_dir(args.init))  # a missing prior: one line, before TensorFlow
    from musicassist.ml.tune import TuneSettings, main_log, tune

    settings = TuneSettings(init=args.init, out=args.out, weights=weights, kl=args.kl, learning_rate=args.lr,
                            seeds=args.seeds, per_seed=args.per_seed, time_budget_minutes=args.time_budget,
                            max_iterations=args.iterations, checkpoint_minutes=args.checkpoint_minutes)
    out = tune(settings, resume=args.resume, log=main_log)
    print(f"Tuned model written to {out}")
    return 0
