"""Fine-tune SmolLM2-135M-Instruct into radprep's section model: LoRA, fp32, loss on the answer only.

    python models/train_sections.py [--data models/out/sections] [--out models/radprep-sections-135m]
                                    [--mode spans] [--prompt-version v2] [--steps 300] [--batch 4]
                                    [--lr 1e-3] [--rank 16] [--layers 0] [--seed 0] [--time-limit S]

Examples come from `models/section_data.py` (train.jsonl / dev.jsonl in --data; generated there when
missing). Each one is the prompt exactly as the section task renders it at inference
(`SectionTask(mode, prompt_version)`, the tokenizer's chat template with the generation prompt) followed
by the answer the engine would write (compact JSON: `{"indication":[1,1],...}` in the `spans` mode,
`{"labels":"O I F M"}` in the `labels` mode) and the end-of-turn token; only the answer tokens carry
loss. LoRA adapters on every attention and MLP projection (of the top --layers decoder layers: no
backward pass below them); the base weights stay frozen. Seeded (data order, initialisation, dropout):
the same command on the same machine gives the same adapter. It prints progress and the held-out dev
loss and answer-token accuracy (teacher-forced), saves the adapter (safetensors) to --out at the end and
every --save-every steps, and stops early, saving, when --time-limit seconds have passed. Needs the
`train` extra (peft) and the base model folder (`python models/build_model.py smollm2-135m`).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TQDM_DISABLE", "1")

from service.backends.profiles import load_profile  # noqa: E402
from service.sections.task import SectionTask, labels_answer, spans_answer, tags_answer  # noqa: E402

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE / "out" / "sections"
DEFAULT_OUT = HERE / "radprep-sections-135m"
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def load_rows(data: Path, split: str) -> list[dict[str, str]]:
    path = data / f"{split}.jsonl"
    if not path.is_file():
        import section_data

        data.mkdir(parents=True, exist_ok=True)
        rows = section_data.examples(4000, 0) if split == "train" else section_data.examples(200, 1000, dev=True)
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


Example = tuple[list[int], list[int]]  # token ids, and the target of each position (-100: no loss)
FREE_IN_TAGS = frozenset("ICFMO")  # a `tags` answer's only free tokens: the pattern fixes numbers and JSON


def encode(tokenizer: Any, task: SectionTask, row: dict[str, str]) -> Example:
    """Prompt + answer token ids, and the targets: the answer tokens (prompt and answer tokenized
    apart, as the engine sees them: it generates after the prompt's last token). In the `tags` mode
    only the letters carry loss: the pattern forces every other answer token at inference."""
    prompt = tokenizer.apply_chat_template(task.request(row["text"]).messages, tokenize=False,
                                           add_generation_prompt=True)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    answer = {"labels": labels_answer, "tags": tags_answer, "spans": spans_answer}[task.mode](row["labels"])
    answer_ids = tokenizer(answer + tokenizer.eos_token, add_special_tokens=False)["input_ids"]
    if task.mode == "tags":
        targets = [t if tokenizer.decode([t]).strip() in FREE_IN_TAGS else -100 for t in answer_ids]
    else:
        targets = list(answer_ids)
    return prompt_ids + answer_ids, [-100] * len(prompt_ids) + targets


def collate(batch: list[Example], pad_id: int) -> dict[str, Any]:
    import torch

    width = max(len(ids) for ids, _ in batch)
    input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), -100, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, (ids, targets) in enumerate(batch):
        input_ids[row, : len(ids)] = torch.tensor(ids)
        labels[row, : len(ids)] = torch.tensor(targets)
        mask[row, : len(ids)] = 1
    return {"input_ids": input_ids, "attention_mask": mask, "labels": labels}


def answer_logits(model: Any, inputs: dict[str, Any]) -> tuple[Any, Any]:
    """Logits at the positions that predict answer tokens, and those tokens: the vocabulary projection
    (49k wide) runs on the answer positions only, not on the whole prompt."""
    causal = model.get_base_model()
    hidden = causal.model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]).last_hidden_state
    target = inputs["labels"][:, 1:]
    keep = target != -100
    return causal.lm_head(hidden[:, :-1][keep]), target[keep]


def evaluate(model: Any, encoded: list[Example], pad_id: int, batch: int) -> tuple[float, float]:
    """Mean answer-token loss and the share of answer tokens predicted right (teacher-forced)."""
    import torch

    model.eval()
    loss_sum, right, count = 0.0, 0, 0
    with torch.no_grad():
        for i in range(0, len(encoded), batch):
            logits, target = answer_logits(model, collate(encoded[i : i + batch], pad_id))
            loss_sum += torch.nn.functional.cross_entropy(logits, target, reduction="sum").item()
            right += int((logits.argmax(-1) == target).sum())
            count += len(target)
    model.train()
    return loss_sum / max(count, 1), right / max(count, 1)


def batches(encoded: list[Example], batch: int, rng: random.Random) -> list[list[Example]]:
    """One epoch of batches: shuffled, then examples of similar length put together (less padding)."""
    order = encoded[:]
    rng.shuffle(order)
    pool = 8 * batch
    out = []
    for i in range(0, len(order), pool):
        chunk = sorted(order[i : i + pool], key=lambda e: len(e[0]))
        out += [chunk[j : j + batch] for j in range(0, len(chunk), batch)]
    rng.shuffle(out)
    return out


def train(args: argparse.Namespace) -> dict[str, Any]:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    started = time.perf_counter()
    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    base = Path(args.base) if args.base else load_profile("smollm2-135m").local_path
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    model = AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32)
    depth = model.config.num_hidden_layers
    top = list(range(depth - args.layers, depth)) if 0 < args.layers < depth else None
    config = LoraConfig(r=args.rank, lora_alpha=2 * args.rank, lora_dropout=args.dropout, target_modules=TARGETS,
                        layers_to_transform=top, task_type="CAUSAL_LM")
    model = get_peft_model(model, config)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    task = SectionTask(mode=args.mode, prompt_version=args.prompt_version)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    train_rows = load_rows(args.data, "train")[: args.max_examples or None]
    dev_rows = load_rows(args.data, "dev")[: args.dev_n]
    rng = random.Random(args.seed)
    rng.shuffle(train_rows)
    encoded = [encode(tokenizer, task, r) for r in train_rows]
    dev = [encode(tokenizer, task, r) for r in dev_rows]
    tokens = sum(len(ids) for ids, _ in encoded) / len(encoded)
    print(f"base {base.name}: {trainable:,} trainable LoRA parameters (rank {args.rank}, "
          f"{args.layers or 'all'} layers); {len(encoded)} train "
          f"examples ({tokens:.0f} tokens each on average), {len(dev)} dev; {args.steps} steps of {args.batch}",
          flush=True)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.0)
    warmup = max(1, args.steps // 20)

    def lr_at(step: int) -> float:  # linear warm-up, then cosine to a tenth
        if step < warmup:
            return (step + 1) / warmup
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, args.steps - warmup)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_at)
    history: list[dict[str, float]] = []
    log: dict[str, Any] = {"args": {k: str(v) for k, v in vars(args).items()}, "trainable": trainable}
    model.train()
    step, running, epoch = 0, 0.0, []
    train_started = time.perf_counter()
    while step < args.steps:
        if not epoch:
            epoch = batches(encoded, args.batch, rng)
        logits, target = answer_logits(model, collate(epoch.pop(), pad_id))
        loss = torch.nn.functional.cross_entropy(logits, target)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        step += 1
        running += loss.item()
        elapsed = time.perf_counter() - train_started
        if step % args.log_every == 0 or step == args.steps:
            print(f"step {step}/{args.steps}  loss {running / args.log_every:.4f}  lr {scheduler.get_last_lr()[0]:.2e}"
                  f"  {elapsed / step:.2f} s/step  {elapsed:.0f} s", flush=True)
            history.append({"step": step, "loss": running / args.log_every, "seconds": elapsed})
            running = 0.0
        out_of_time = args.time_limit and time.perf_counter() - started > args.time_limit
        if args.save_every and step % args.save_every == 0 or out_of_time or step == args.steps:
            model.save_pretrained(str(args.out))
        if out_of_time:
            print(f"time limit reached after {step} steps; adapter saved", flush=True)
            break
    dev_loss, dev_accuracy = evaluate(model, dev, pad_id, args.batch) if dev else (float("nan"), float("nan"))
    print(f"dev loss {dev_loss:.4f}  dev answer-token accuracy {dev_accuracy:.4f}  ({len(dev)} examples)", flush=True)
    log.update({"steps_done": step, "examples_seen": step * args.batch, "history": history, "dev_loss": dev_loss,
                "dev_token_accuracy": dev_accuracy, "train_seconds": time.perf_counter() - train_started})
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "training_log.json").write_text(json.dumps(log, indent=1) + "\n", encoding="utf-8")
    return log


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of train.jsonl / dev.jsonl")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="adapter folder to write")
    parser.add_argument("--base", help="base model folder (default: the smollm2-135m profile's)")
    parser.add_argument("--mode", choices=("tags", "labels", "spans"), default="tags",
                        help="answer format: each unit's number and letter, one letter per unit, or [first, last] "
                        "unit numbers per section")
    parser.add_argument("--prompt-version", default="v1", help="prompts/sections.<mode>.<version>.jinja")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--layers", type=int, default=0,
                        help="adapt only the top N decoder layers (no backward pass below them); 0: all")
    parser.add_argument("--dropout", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--max-examples", type=int, default=0, help="use only the first N training examples")
    parser.add_argument("--dev-n", type=int, default=96, help="dev examples for the held-out loss")
    parser.add_argument("--log-every", type=int, default=10)
    parser.add_argument("--save-every", type=int, default=50)
    parser.add_argument("--time-limit", type=float, default=0, help="stop and save after this many seconds")
    train(parser.parse_args())


if __name__ == "__main__":
    main()
