"""Print the README's table of bundled models from their info.json files (figures from `mnistgan evaluate`).

    .venv/bin/python scripts/model_table.py
"""

from mnistgan import registry
from mnistgan.model_folder import read_info


def fmt(v, spec):
    return "n/a" if v is None else format(v, spec)


def main() -> None:
    print("| model | preset | epochs | training time | hardware | FID | KID | precision | recall | classes | cond. acc. | memorized | size |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for ref in registry.all_models():
        if not ref.bundled:
            continue
        info = read_info(ref.path)
        m = (info.get("metrics") or {}).get("model", {})
        size = sum(f.stat().st_size for f in ref.path.iterdir() if f.is_file()) / 1e6
        default = " (default)" if ref.name == registry.DEFAULT_MODEL else ""
        print(f"| `{ref.name}`{default} | {info.get('preset')} | {info.get('epochs')} | {info.get('wall_time_s', 0) / 60:.1f} min "
              f"| {info.get('hardware')} | {fmt(m.get('fid'), '.2f')} | {fmt(m.get('kid'), '.4f')} | {fmt(m.get('precision'), '.3f')} "
              f"| {fmt(m.get('recall'), '.3f')} | {m.get('classes_covered', 'n/a')} | {fmt(m.get('cond_acc'), '.1%')} "
              f"| {fmt(m.get('memorization'), '.2%')} | {size:.1f} MB |")


if __name__ == "__main__":
    main()
