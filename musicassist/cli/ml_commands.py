"""``musicassist train`` and ``musicassist evaluate``: the model's training and its honest measurement.

TensorFlow is imported only when one of these commands runs.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from musicassist.core.errors import OptionError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    _register_train(subparsers)
    _register_evaluate(subparsers)


def _register_train(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "train", help="train (or fine-tune) a music model",
        description="Train the music LSTM on the bundled corpus and/or folders of your own music.")
    parser.add_argument("--corpus", action="append", metavar="bundled|SOURCE|DIR",
                        help="training data: 'bundled' (default), one bundled source, or a folder (repeatable)")
    parser.add_argument("--out", required=True, type=Path, help="model folder to write, e.g. models/mine")
    parser.add_argument("--init", metavar="MODEL", help="fine-tune this model (a folder or shipped name)")
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint in --out")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--steps-per-epoch", type=int, default=None, help="batches per epoch (default: all)")
    parser.add_argument("--embed", type=int, default=96, help="embedding size")
    parser.add_argument("--units", default="256,256", help="LSTM widths, comma separated")
    parser.add_argument("--dropout", type=float, default=0.2)
    parser.add_argument("--lookback", default="1,2,4", metavar="BARS",
                        help="bar lags the model looks back over, comma separated, or 'none' (default 1,2,4); "
                             "with --init a plain model gains lookback and starts from its weights")
    parser.add_argument("--seq-len", type=int, default=256, help="tokens per training window")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=None, help="learning rate (default 2e-3, 5e-4 with --init)")
    parser.add_argument("--lr-decay", type=float, default=1.0,
                        help="multiply the learning rate by this after every epoch (it halves anyway "
                             "after an epoch without improvement)")
    parser.add_argument("--transpose-prob", type=float, default=0.5,
                        help="share of training pieces transposed by -5..+6 semitones each epoch")
    parser.add_argument("--patience", type=int, default=2)
    parser.add_argument("--time-budget", type=float, default=None, metavar="MINUTES",
                        help="do not start an epoch that would end after this many minutes")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--workers", type=int, default=2, help="processes for parsing new corpus files")
    parser.add_argument("--status-file", type=Path, default=None, help="also write progress to this file")
    parser.add_argument("--no-progress", action="store_true")
    where = parser.add_argument_group(
        "where it runs", "--batch-size is the global batch, split evenly over all replicas; the loss is averaged "
        "over it, so the same --lr gives the same update on any number of replicas (raise --lr in proportion "
        "if you raise --batch-size). A cluster is named by TF_CONFIG (as Kubernetes or Slurm launchers set it) "
        "or by --cluster with --task-index.")
    where.add_argument("--devices", default=None, metavar="all|DEV,DEV",
                       help="train on this machine's GPUs with MirroredStrategy: 'all' or e.g. /gpu:0,/gpu:1")
    where.add_argument("--cluster", default=None, metavar="HOST:PORT,...",
                       help="every worker of a multi-machine run, the chief (worker 0) first")
    where.add_argument("--task-index", type=int, default=None, metavar="I", help="this worker's place in --cluster")
    where.add_argument("--collective-timeout", type=float, default=300.0, metavar="SECONDS",
                       help="end the run when another worker has not answered for this long (default 300; "
                            "longer than one validation pass)")
    where.add_argument("--dry-run", action="store_true",
                       help="print the strategy, replicas, global batch and each worker's data shard, then stop")
    parser.set_defaults(func=_run_train)


def _register_evaluate(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "evaluate", help="measure a model against n-gram baselines on held-out music",
        description="Cross-entropy, bits per note and accuracy of a model and of n-gram baselines "
                    "(orders 1-6, Kneser-Ney) on held-out pieces, plus a continuation check.")
    parser.add_argument("--model", default=None, help="model folder or shipped name (default: default)")
    parser.add_argument("--data", action="append", metavar="bundled|SOURCE|DIR",
                        help="corpus to evaluate on (default: bundled; repeatable)")
    parser.add_argument("--split", default="test", choices=("train", "valid", "test"))
    parser.add_argument("--orders", default="1-6", help="n-gram orders, e.g. 1-6 or 3,5")
    parser.add_argument("--continuation-pieces", type=int, default=256,
                        help="held-out seeds for the continuation check (0 skips it)")
    parser.add_argument("--plot", type=Path, default=None, help="where to save the continuation-check plot")
    parser.add_argument("--update-card", action="store_true", help="record the results in the model's card")
    parser.add_argument("--realism", action="store_true",
                        help="add the realism report: a classifier test of real vs generated continuations, "
                             "development of the seed and rule rates (about 10 minutes for 300 seeds)")
    parser.add_argument("--realism-seeds", type=int, default=None, metavar="N",
                        help="held-out seeds for the realism report (default 300; implies --realism)")
    parser.add_argument("--realism-only", action="store_true",
                        help="only the realism report: no likelihoods, no continuation check, no TensorFlow")
    parser.add_argument("--realism-plot", type=Path, default=None, help="where to save the realism plot")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=_run_evaluate)


def _split_sources(specs: list[str] | None) -> tuple[list[str], list[Path]]:
    from musicassist.ml.corpus import BUNDLED_SOURCES

    sources: list[str] = []
    folders: list[Path] = []
    for spec in specs or ["bundled"]:
        if spec == "bundled" or spec in BUNDLED_SOURCES:
            sources.append(spec)
        elif Path(spec).expanduser().is_dir():
            folders.append(Path(spec).expanduser())
        else:
            raise OptionError(f"'{spec}' is neither 'bundled', a bundled collection, nor an existing folder.")
    return sources, folders


def _parse_units(text: str) -> tuple[int, ...]:
    try:
        units = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        units = ()
    if not units or any(u <= 0 for u in units):
        raise OptionError(f"--units must be positive layer widths like 256,256, not '{text}'.")
    return units


def _parse_lags(text: str) -> tuple[int, ...]:
    if text.strip().lower() in ("none", "0", ""):
        return ()
    try:
        lags = tuple(int(part) for part in text.split(","))
    except ValueError:
        lags = ()
    if not lags or min(lags) < 1 or max(lags) > 16 or list(lags) != sorted(set(lags)):
        raise OptionError(f"--lookback must be bar counts from 1 to 16 in increasing order, like 1,2,4, not '{text}'.")
    return lags


def _parse_orders(text: str) -> tuple[int, ...]:
    try:
        if "-" in text:
            low, high = (int(x) for x in text.split("-", 1))
            orders = tuple(range(low, high + 1))
        else:
            orders = tuple(int(x) for x in text.split(","))
    except ValueError:
        orders = ()
    if not orders or min(orders) < 1 or max(orders) > 6:
        raise OptionError(f"--orders must be n-gram orders between 1 and 6, like 1-6, not '{text}'.")
    return orders


def _run_train(args: argparse.Namespace) -> int:
    from musicassist.codec import default_vocabulary
    from musicassist.ml.distribute import plan_strategy
    from musicassist.ml.model import ModelConfig
    from musicassist.ml.model_store import resolve_model_dir
    from musicassist.ml.train import TrainConfig, corpus_data, train

    if args.epochs < 1:
        raise OptionError("--epochs must be at least 1.")
    if args.batch_size < 1:
        raise OptionError("--batch-size must be at least 1.")
    plan = plan_strategy(args.cluster, args.task_index, args.devices, args.collective_timeout)
    sources, folders = _split_sources(args.corpus)
    init_dir = resolve_model_dir(args.init) if args.init else None
    vocab = default_vocabulary()
    data, _corpus = corpus_data(sources, folders, progress=not args.no_progress, workers=args.workers)
    model_config = ModelConfig(vocab.size, args.embed, _parse_units(args.units), args.dropout,
                               _parse_lags(args.lookback))
    learning_rate = args.lr if args.lr is not None else (5e-4 if init_dir else 2e-3)
    config = TrainConfig(seq_len=args.seq_len, batch_size=args.batch_size, learning_rate=learning_rate,
                         epochs=args.epochs, steps_per_epoch=args.steps_per_epoch, patience=args.patience,
                         epoch_decay=args.lr_decay, transpose_probability=args.transpose_prob,
                         seed=args.seed,
                         time_budget_s=args.time_budget * 60 if args.time_budget else None)
    if args.dry_run:
        from musicassist.ml.train_plan import describe_plan

        print("\n".join(describe_plan(plan, data, config.batch_size)))
        return 0
    print(f"Training on {len(data.train)} pieces ({sum(len(t) for t in data.train)} tokens), validating on "
          f"{len(data.valid)}.", file=sys.stderr)
    card = train(data, vocab, args.out, model_config, config, init_dir=init_dir, resume=args.resume,
                 progress=not args.no_progress, status_file=args.status_file, plan=plan)
    if not plan.is_chief:
        print(f"Worker {plan.task_index} finished; the chief (worker 0) saved the model.")
        return 0
    print(f"Model saved in {args.out} (validation {card['metrics']['valid']['nll_per_token']:.4f} nats/token).")
    return 0


def _run_evaluate(args: argparse.Namespace) -> int:
    from musicassist.ml.evaluate import run_evaluation
    from musicassist.ml.realism import DEFAULT_SEEDS

    sources, folders = _split_sources(args.data)
    wants_realism = args.realism or args.realism_only or args.realism_seeds is not None
    realism_seeds = (args.realism_seeds if args.realism_seeds is not None else DEFAULT_SEEDS) if wants_realism else 0
    if wants_realism and realism_seeds < 10:
        raise OptionError("--realism-seeds must be at least 10 (the classifier test needs 5 folds of pieces).")
    report = run_evaluation(args.model, sources, folders, args.split, _parse_orders(args.orders),
                            0 if args.realism_only else args.continuation_pieces, args.plot, args.update_card,
                            progress=not args.json, realism_seeds=realism_seeds, likelihood=not args.realism_only,
                            realism_plot=args.realism_plot)
    if args.json:
        print(json.dumps(_finite(report)))
    else:
        _print_report(report)
    return 0


def _finite(value: Any) -> Any:
    """JSON has no NaN: unknown figures become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _print_report(report: dict[str, Any]) -> None:
    if "nll_per_token" in report:
        _print_likelihood(report)
    realism = report.get("realism")
    if realism:
        from musicassist.ml.realism_report import report_lines

        print("\n".join(report_lines(realism)))
        if realism.get("plot"):
            print(f"Realism plot: {realism['plot']}")


def _print_likelihood(report: dict[str, Any]) -> None:
    print(f"{report['split']} split: {report['pieces']} pieces, {report['tokens']} tokens, {report['notes']} notes")
    print(f"{'model':<12} {'nats/token':>11} {'bits/note':>10} {'accuracy':>9}")
    print(f"{'LSTM':<12} {report['nll_per_token']:>11.4f} {report['bits_per_note']:>10.3f} "
          f"{report['accuracy']:>9.3f}")
    for order, row in report["ngram"].items():
        accuracy = "" if row["accuracy"] is None else f"{row['accuracy']:.3f}"
        print(f"{'KN ' + order + '-gram':<12} {row['nll_per_token']:>11.4f} {row['bits_per_note']:>10.3f} "
              f"{accuracy:>9}")
    gain = 100 * report["improvement_over_ngram"]
    print(f"The LSTM's cross-entropy is {abs(gain):.1f}% {'below' if gain >= 0 else 'above'} the best n-gram's "
          f"(order {report['ngram_best_order']}).")
    check = report.get("continuation_check")
    if check:
        print("Continuation check: " + check.get("summary", ""))
        for name, row in check.get("features", {}).items():
            means = (f" real {row['real_mean']:.3f} generated {row['generated_mean']:.3f}"
                     f" value overlap {row['value_overlap']:.2f}" if "real_mean" in row else "")
            print(f"  {name:<22} Yang-Lerch overlap {row['yang_lerch_overlap']:.2f}{means}")
        if check.get("plot"):
            print(f"Plot: {check['plot']}")
