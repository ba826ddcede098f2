"""The shape of the code: no import cycles between modules, no function or class over ~120 lines.

Function-level imports count as edges too (an import inside a function still ties two modules);
the CLI's command registration (`mnistgan.cli` importing its command modules, which import `app`
from it) is the one cycle by design.
"""

import ast
from pathlib import Path

import mnistgan

SRC = Path(mnistgan.__file__).parent
LARGEST = 120
ALLOWED_CYCLE_PACKAGE = "mnistgan.cli"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def parse_all() -> dict[str, ast.Module]:
    return {module_name(p): ast.parse(p.read_text()) for p in SRC.rglob("*.py")}


def imports(name: str, tree: ast.Module, modules: set[str]) -> set[str]:
    deps = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            deps |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")[: len(name.split(".")) - node.level + (1 if is_package(name) else 0)]
                base = ".".join(anchor + ([base] if base else []))
            deps.add(base)
            deps |= {f"{base}.{a.name}" for a in node.names}
    return {d for d in deps if d in modules and d != name}


def is_package(name: str) -> bool:
    return (SRC.parent / Path(*name.split(".")) / "__init__.py").exists()


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles_outside_the_cli_registration():
    trees = parse_all()
    graph = {name: imports(name, tree, set(trees)) for name, tree in trees.items()}
    bad = [c for c in cycles(graph) if not all(m == ALLOWED_CYCLE_PACKAGE or m.startswith(ALLOWED_CYCLE_PACKAGE + ".")
                                              for m in c)]
    assert not bad, f"import cycles: {bad}"


def test_the_cycle_finder_finds_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_function_or_class_is_longer_than_about_120_lines():
    sizes = [(node.end_lineno - node.lineno + 1, f"{name}.{node.name}")
             for name, tree in parse_all().items() for node in ast.walk(tree)
             if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    too_long = sorted(s for s in sizes if s[0] > LARGEST)
    assert not too_long, f"over {LARGEST} lines: {too_long}"
