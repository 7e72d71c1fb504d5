"""Prompts from a task's Jinja2 template, in two forms: plain text for base models and chat messages
for instruct models; the backend picks the one its model supports."""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from rgro_bench.data.records import Study
from rgro_bench.errors import ConfigError
from rgro_bench.tasks.spec import PromptSpec


@dataclass(frozen=True)
class Prompt:
    text: str
    messages: tuple[dict[str, str], ...]


#: a task file is user input: its template may read the study and format text, never reach Python
#: internals (``cycler.__init__.__globals__`` and the like) or change any object
_ENV = ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False, autoescape=False)


@cache
def _template(source: str, where: str) -> jinja2.Template:
    try:
        return _ENV.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"{where}: line {exc.lineno}: invalid Jinja2 ({exc.message})") from None


def render_user_turn(spec: PromptSpec, study: Study, where: str = "prompt.template") -> str:
    """``where`` names the template in errors (the task file and field)."""
    try:
        return _template(spec.template, where).render(findings=study.findings, study=study).strip()
    except jinja2.UndefinedError as exc:
        raise ConfigError(f"{where}: {exc.message}; available variables: findings, study") from None
    except SecurityError as exc:
        raise ConfigError(f"{where}: refused by the template sandbox ({exc}); expected plain formatting") from None


def choose_fewshot(pool: list[Study], k: int, seed: int = 0) -> list[Study]:
    """The same k solved examples for every study of a run: a seeded sample of the source split."""
    if k == 0:
        return []
    usable = [s for s in pool if s.impression]
    return random.Random(seed).sample(usable, min(k, len(usable)))


def build_prompt(spec: PromptSpec, study: Study, fewshot: list[Study], where: str = "prompt.template") -> Prompt:
    messages: list[dict[str, str]] = []
    if spec.system:
        messages.append({"role": "system", "content": spec.system})
    text_parts = [spec.system] if spec.system else []
    for example in fewshot:
        user = render_user_turn(spec, example, where)
        messages += [{"role": "user", "content": user}, {"role": "assistant", "content": example.impression or ""}]
        text_parts.append(f"{user} {example.impression}")
    user = render_user_turn(spec, study, where)
    messages.append({"role": "user", "content": user})
    text_parts.append(user)
    return Prompt(text="\n\n".join(text_parts), messages=tuple(messages))


def build_prompts(
    spec: PromptSpec, studies: list[Study], fewshot_pool: list[Study], seed: int = 0, where: str = "prompt.template"
) -> list[Prompt]:
    examples = choose_fewshot(fewshot_pool, spec.fewshot, seed)
    example_ids = {e.id for e in examples}
    if any(s.id in example_ids for s in studies):
        raise ConfigError("prompt.fewshot_source overlaps the evaluated split; choose another source split")
    return [build_prompt(spec, study, examples, where) for study in studies]
