"""Device and precision choices: `auto` picks cuda -> mps -> cpu, and bf16 where the hardware has it."""

from __future__ import annotations

import contextlib
import functools
import platform

import torch

from mnistgan.errors import MnistganError


def pick_device(name: str = "auto") -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise MnistganError(f"unknown device {name!r}; use auto, cpu, cuda, cuda:N or mps") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise MnistganError("--device cuda was asked for but no CUDA GPU is available")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise MnistganError("--device mps was asked for but MPS is not available")
    return device


@functools.cache
def cpu_has_bf16() -> bool:
    """True on CPUs with native bf16 matmul (AVX512-BF16 or AMX), where autocast pays."""
    if platform.system() != "Linux":
        return False
    try:
        flags = open("/proc/cpuinfo").read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def pick_precision(precision: str, device: torch.device) -> str:
    if precision != "auto":
        if precision == "fp16" and device.type != "cuda":
            raise MnistganError("--precision fp16 needs a CUDA device; use bf16 or fp32")
        return precision
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    if device.type == "cpu" and cpu_has_bf16():
        return "bf16"
    return "fp32"


def autocast(device: torch.device, precision: str, cache: bool = True):
    """Mixed precision for `precision`; `cache=False` inside CUDA graph capture (torch's advice)."""
    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype, cache_enabled=cache)


def describe(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "cpu":
        import os
        import re

        try:
            model = re.search(r"model name\s*:\s*(.*)", open("/proc/cpuinfo").read()).group(1)
        except (OSError, AttributeError):
            model = platform.processor() or platform.machine()
        return f"{model} CPU, {os.cpu_count()} cores"
    return device.type
