"""Device and precision choices: `auto` picks cuda -> mps -> cpu; TF32 on recent NVIDIA GPUs, bf16 on CPUs that have it."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import platform
import re

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


PRECISIONS = ("auto", "fp32", "tf32", "bf16", "fp16")


def pick_precision(precision: str, device: torch.device) -> str:
    if precision != "auto":
        if precision in ("fp16", "tf32") and device.type != "cuda":
            raise MnistganError(f"--precision {precision} needs a CUDA device; use bf16 or fp32")
        return precision
    if device.type == "cuda":
        # TF32 (fp32 tensors, tensor-core matmuls) beat bf16 autocast on every preset on an H100
        # (benchmarks in the README): these models are so small that autocast's casts cost more than
        # bf16's faster matmuls save. Older GPUs have no TF32 (nor bf16) and get fp16 autocast.
        return "tf32" if torch.cuda.get_device_capability(device)[0] >= 8 else "fp16"
    if device.type == "cpu" and cpu_has_bf16():
        return "bf16"
    return "fp32"


def autocast(device: torch.device, precision: str, cache: bool = True):
    """Mixed precision for `precision`; `cache=False` inside CUDA graph capture (torch's advice)."""
    if precision in ("fp32", "tf32"):
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype, cache_enabled=cache)


def use_tf32(enabled: bool) -> None:
    """TensorFloat-32 (on) or IEEE fp32 (off) for CUDA's fp32 matmuls and convolutions.

    torch's switches are process-wide and backward passes run outside any context a step could
    set, so a CUDA trainer sets them once, for its precision: `fp32` is then IEEE fp32 in
    convolutions too (torch's default lets cuDNN use TF32 there), and the last trainer built wins.
    """
    cudnn_conv = getattr(torch.backends.cudnn, "conv", None)
    if cudnn_conv is not None and hasattr(cudnn_conv, "fp32_precision"):  # torch >= 2.9: mixing APIs raises
        torch.backends.cuda.matmul.fp32_precision = cudnn_conv.fp32_precision = "tf32" if enabled else "ieee"
    else:
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = enabled


def keep_freed_memory() -> None:
    """Let glibc serve tensors up to 32 MB from its heap and keep freed memory for reuse.

    By default every buffer over 128 KB is mapped fresh from the OS and unmapped when freed,
    so each large op of a CPU training step first faults in zeroed pages: an mlp-gan step at
    batch 512 ran about 25% faster without that. The cost is that the process keeps its peak
    memory. Process-wide, and a no-op where the C library is not glibc.
    """
    if platform.system() != "Linux":
        return
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's <malloc.h>
    mallopt(m_mmap_threshold, 32 << 20)  # glibc's largest allowed value
    mallopt(m_trim_threshold, 1 << 30)


def prepare_device(name: str = "auto", precision: str = "auto") -> tuple[torch.device, str]:
    """The training device and precision, with the process-wide settings they want applied."""
    device = pick_device(name)
    precision = pick_precision(precision, device)
    if device.type == "cuda":
        use_tf32(precision == "tf32")
    if device.type == "cpu":
        keep_freed_memory()
    return device, precision


def describe(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "cpu":
        try:
            model = re.search(r"model name\s*:\s*(.*)", open("/proc/cpuinfo").read()).group(1)
        except (OSError, AttributeError):
            model = platform.processor() or platform.machine()
        return f"{model} CPU, {os.cpu_count()} cores"
    return device.type
