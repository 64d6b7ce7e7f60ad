#!/usr/bin/env python3
"""Generate a lockfile set of N packages (default 20,000) for scripts/bench-deps.sh.

    scripts/bench-deps-gen.py OSV_DIR OUT_DIR [N]

Half of the packages are names that have advisories in OSV_DIR (so matching, merging and
fix computation run for real), half are synthetic names; versions are drawn around the
advisories' ranges. Deterministic (fixed seed). Formats: package-lock.json (v3), yarn.lock,
Cargo.lock, poetry.lock, requirements.txt.
"""
import json
import os
import random
import sys
import zipfile

osv, out = sys.argv[1], sys.argv[2]
total = int(sys.argv[3]) if len(sys.argv) > 3 else 20_000
rng = random.Random(12)


def advisory_names(eco):
    names = set()
    path = os.path.join(osv, eco, "all.zip")
    if not os.path.exists(path):
        return []
    with zipfile.ZipFile(path) as z:
        for n in z.namelist():
            if n.endswith(".json"):
                for a in json.loads(z.read(n)).get("affected", []):
                    if a.get("package", {}).get("ecosystem") == eco:
                        names.add(a["package"]["name"])
    return sorted(names)


def version():
    return f"{rng.randint(0, 5)}.{rng.randint(0, 20)}.{rng.randint(0, 30)}"


def packages(eco, count, prefix):
    real = advisory_names(eco)
    out, seen = [], set()
    while len(out) < count:
        if real and rng.random() < 0.5:
            name = rng.choice(real)
        else:
            name = f"{prefix}-{len(out)}-{rng.randint(0, 10**6)}"
        v = version()
        if (name, v) not in seen:
            seen.add((name, v))
            out.append((name, v))
    return out


os.makedirs(out, exist_ok=True)
shares = {"npm": 0.40, "yarn": 0.10, "cargo": 0.20, "poetry": 0.15, "req": 0.15}
counts = {k: int(total * s) for k, s in shares.items()}
counts["npm"] += total - sum(counts.values())

npm = packages("npm", counts["npm"], "npm")
lock = {"name": "bench", "lockfileVersion": 3, "requires": True, "packages": {"": {"name": "bench"}}}
top = set()
for i, (n, v) in enumerate(npm):
    # One top-level install per name; other versions nest under a parent, as npm does.
    key = f"node_modules/{n}" if n not in top else f"node_modules/p{i}/node_modules/{n}"
    top.add(n)
    lock["packages"][key] = {
        "version": v,
        "resolved": f"https://registry.example/{n}/-/{n}-{v}.tgz",
        "integrity": "sha512-AAAA",
        "dev": i % 5 == 0,
    }
os.makedirs(f"{out}/web", exist_ok=True)
with open(f"{out}/web/package-lock.json", "w") as f:
    json.dump(lock, f, indent=2)

os.makedirs(f"{out}/legacy", exist_ok=True)
with open(f"{out}/legacy/yarn.lock", "w") as f:
    f.write("# yarn lockfile v1\n\n")
    for n, v in packages("npm", counts["yarn"], "yarn"):
        f.write(f'"{n}@^{v}":\n  version "{v}"\n  resolved "https://registry.example/{n}-{v}.tgz"\n\n')

os.makedirs(f"{out}/core", exist_ok=True)
with open(f"{out}/core/Cargo.lock", "w") as f:
    f.write("version = 4\n")
    for n, v in packages("crates.io", counts["cargo"], "crate"):
        f.write(f'\n[[package]]\nname = "{n}"\nversion = "{v}"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\n')

os.makedirs(f"{out}/api", exist_ok=True)
with open(f"{out}/api/poetry.lock", "w") as f:
    for n, v in packages("PyPI", counts["poetry"], "py"):
        f.write(f'[[package]]\nname = "{n}"\nversion = "{v}"\noptional = false\n\n')
    f.write('[metadata]\nlock-version = "2.0"\ncontent-hash = "0"\n')
with open(f"{out}/api/requirements.txt", "w") as f:
    for n, v in packages("PyPI", counts["req"], "req"):
        f.write(f"{n}=={v}\n")

print(f"{total} packages in {out}")
