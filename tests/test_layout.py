"""The layout: imports flow one way (scripts -> figures -> reporting / evaluation -> models -> utils -> data), with no
cycle; only figures/ draws; every document the code cites exists, down to the section number; every command the docs
give a top-level script uses keys that script has."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# package -> floor; a module may import from a lower floor or from its own package, nothing else of ours
FLOORS = {"data": 0, "utils": 1, "models": 2, "evaluation": 3, "reporting": 3, "figures": 4, "scripts": 5}
PACKAGES = [p for p in FLOORS if p != "scripts"]


def package_of(module: str) -> str:
    top = module.split(".")[0]
    return top if top in PACKAGES else "scripts"


def our_modules() -> dict[str, Path]:
    """Every Python module of the repository except the tests: dotted name -> file."""
    files = [*ROOT.glob("*.py"), *ROOT.glob("benchmarks/*.py"), *[f for p in PACKAGES for f in ROOT.glob(f"{p}/*.py")]]
    out = {}
    for f in files:
        parts = f.relative_to(ROOT).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = f
    return out


def imports_of(path: Path, name: str, known: set[str]) -> set[str]:
    """Our modules that ``path`` imports anywhere in the file (top level or inside functions)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import inside a package
                base = ".".join(name.split(".")[:len(name.split(".")) - node.level + (path.stem == "__init__")]
                                + ([node.module] if node.module else []))
            # ``from pkg import sub`` imports the submodule pkg.sub; ``from pkg import name`` imports pkg
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name:
                found.add(t)
    return found


def external_imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            out.add(node.module.split(".")[0])
    return out


GRAPH = {name: imports_of(path, name, set(our_modules())) for name, path in our_modules().items()}


def test_the_graph_sees_the_layers():
    """A guard for the guard: the parser finds the imports that exist, so an empty graph cannot pass."""
    assert "models.aae" in GRAPH["main_aae"] and "utils.training" in GRAPH["main_aae"]
    assert "models.catvae" in GRAPH["evaluation.catvae"]
    assert {package_of(m) for m in GRAPH} == set(FLOORS)


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_only_flow_down(module):
    here = package_of(module)
    for target in GRAPH[module]:
        there = package_of(target)
        assert there == here or FLOORS[there] < FLOORS[here], f"{module} ({here}) imports {target} ({there})"


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if package_of(m) != "scripts"))
def test_packages_import_nothing_at_run_time(module):
    """importlib (or __import__) would hide an import from the graph above: a package that needs a script's header
    reads it as text (utils.config.script_header)."""
    assert "importlib" not in external_imports(our_modules()[module]), f"{module} imports importlib"
    assert "__import__(" not in our_modules()[module].read_text(), f"{module} calls __import__"


def test_no_import_cycle():
    state: dict[str, int] = {}

    def visit(node, path):
        state[node] = 1
        for nxt in GRAPH[node]:
            assert state.get(nxt) != 1, "import cycle: " + " -> ".join([*path, node, nxt])
            if nxt not in state:
                visit(nxt, [*path, node])
        state[node] = 2

    for node in GRAPH:
        if node not in state:
            visit(node, [])


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if package_of(m) != "figures"))
def test_only_figures_draw(module):
    assert "matplotlib" not in external_imports(our_modules()[module]), f"{module} imports matplotlib"


CITATION = re.compile(r"docs/([\w-]+\.md)(?:,? (?:section )?(\d+(?:\.\d+)*))?")


def cited() -> list[tuple[str, str, str | None]]:
    out = []
    for path in [*our_modules().values(), ROOT / "README.md", *ROOT.glob("docs/*.md")]:
        for m in CITATION.finditer(path.read_text()):
            out.append((path.relative_to(ROOT).as_posix(), m.group(1), m.group(2)))
    return out


def test_every_cited_document_and_section_exists():
    assert any(doc == "originals.md" and section for _, doc, section in cited())   # the pattern finds citations
    for source, doc, section in cited():
        target = ROOT / "docs" / doc
        assert target.is_file(), f"{source} cites docs/{doc}, which does not exist"
        if section:
            headings = re.findall(r"^#+ (\d+(?:\.\d+)*)\b", target.read_text(), re.M)
            assert section in headings, f"{source} cites docs/{doc} section {section}, which has no such heading"


def test_no_code_cites_a_file_outside_the_repository():
    for path in our_modules().values():
        assert "ORIGINALS.md" not in path.read_text(), f"{path} cites ORIGINALS.md, which is not in the repository"


def doc_commands() -> list[tuple[str, str, dict[str, str]]]:
    """(document, script, {key: value} of the --key=value it gives) for every `python <script>.py --key=value ...` of
    a top-level script in README.md, docs/ and records/README.md: inline code and the lines of code blocks."""
    out = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "records" / "README.md"]:
        text = doc.read_text()
        lines = re.findall(r"`([^`]*)`", " ".join(text.split()))
        lines += [line for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.S) for line in block.splitlines()]
        for line in lines:
            for m in re.finditer(r"python (\w+\.py)((?: --\w+=\S+)*)", line):
                out.append((doc.name, m.group(1), dict(re.findall(r"--(\w+)=(\S+)", m.group(2)))))
    return out


def test_every_command_in_the_docs_gives_only_keys_its_script_has():
    from utils.config import script_header

    commands = doc_commands()
    assert len(commands) > 100 and any(options for _, _, options in commands)   # the pattern finds the commands
    for doc, script, options in commands:
        assert (ROOT / script).is_file(), f"{doc} runs {script}, which does not exist"
        unknown = sorted(set(options) - set(script_header(ROOT / script)))
        assert not unknown, f"{doc} runs {script} with --{', --'.join(unknown)}, which it does not have"
