"""Tasks: YAML specs in ``tasks/`` validated into ``TaskSpec`` and loaded as ``Task``."""

from rgro_bench.tasks.prompts import Prompt, build_prompts
from rgro_bench.tasks.registry import get_task, task_names
from rgro_bench.tasks.spec import TaskSpec
from rgro_bench.tasks.task import Task

__all__ = ["Prompt", "Task", "TaskSpec", "build_prompts", "get_task", "task_names"]
