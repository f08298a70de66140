# Checks the SBOM and winget manifests of one out-dir with independent tools:
# cyclonedx-python-lib's strict JSON validator (CycloneDX 1.6 schema), check-jsonschema against
# winget's published 1.10.0 schemas (tests/schemas/winget-1.10.0), and the digests against the
# files themselves (the exe read back from the portable zip, the MSI from disk); the winget
# ProductCode and UpgradeCode against the MSI's Property table as msitools' msiinfo reads it;
# every file msiextract takes out of the MSI is in the SBOM with its SHA-256.
# usage: validate.py OUT_DIR STEM EXE_NAME SCHEMA_DIR [--expect-purl]
import hashlib, json, os, subprocess, sys, zipfile

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

out, stem, exe_name, schemas = sys.argv[1:5]
expect_purl = "--expect-purl" in sys.argv
sha = lambda b: hashlib.sha256(b).hexdigest()

text = open(os.path.join(out, stem + ".cdx.json")).read()
errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
assert errors is None, f"CycloneDX 1.6 schema: {errors}"
bom = json.loads(text)
assert bom["serialNumber"].startswith("urn:uuid:"), bom["serialNumber"]

msi = open(os.path.join(out, stem + ".msi"), "rb").read()
root = bom["metadata"]["component"]
assert root["hashes"] == [{"alg": "SHA-256", "content": sha(msi)}], root["hashes"]

exe = zipfile.ZipFile(os.path.join(out, stem + "-portable.zip")).read(exe_name)
program = [c for c in bom["components"] if c["type"] == "application"
           and {"name": "svcpack:install-path", "value": exe_name} in c.get("properties", [])]
assert len(program) == 1, program
assert program[0]["hashes"][0]["content"] == sha(exe), "the SBOM names another exe"
assert ("purl" in program[0]) == expect_purl, program[0]
refs = [c["bom-ref"] for c in bom["components"]]
assert refs == sorted(refs), refs
root_deps = [d for d in bom["dependencies"] if d["ref"] == root["bom-ref"]]
assert program[0]["bom-ref"] in root_deps[0]["dependsOn"], root_deps

# Every file the MSI installs (extracted by msitools' msiextract) is a component carrying its
# SHA-256: the program, the service host when used, and every other packaged file.
import tempfile
with tempfile.TemporaryDirectory() as x:
    subprocess.run(["msiextract", "-C", x, os.path.join(out, stem + ".msi")], check=True,
                   capture_output=True)
    installed = {}
    for d, _, names in os.walk(x):
        for n in names:
            installed[n] = sha(open(os.path.join(d, n), "rb").read())
assert exe_name in installed, installed
by_name = {}
for c in bom["components"]:
    paths = [p["value"] for p in c.get("properties", []) if p["name"] == "svcpack:install-path"]
    for h in c.get("hashes", []):
        by_name.setdefault(os.path.basename(paths[0]) if paths else c["name"], set()).add(h["content"])
for n, digest in sorted(installed.items()):
    assert digest in by_name.get(n, set()), (n, digest, by_name)

sums = open(os.path.join(out, "SHA256SUMS")).read()
assert f"{sha(text.encode())}  {stem}.cdx.json\n" in sums, sums
manifest = json.load(open(os.path.join(out, stem + ".manifest.json")))
kinds = {a["path"]: a["kind"] for a in manifest["artifacts"]}
assert kinds.get(stem + ".cdx.json") == "sbom", kinds

winget = os.path.join(out, "winget")
if os.path.isdir(winget):
    for name in sorted(os.listdir(winget)):
        kind = ("installer" if ".installer." in name else
                "defaultLocale" if ".locale." in name else "version")
        schema = os.path.join(schemas, f"manifest.{kind}.1.10.0.json")
        subprocess.run(["check-jsonschema", "--schemafile", schema, os.path.join(winget, name)],
                       check=True)
        assert kinds.get("winget/" + name) == "winget-manifest", kinds
        if kind == "installer":
            body = open(os.path.join(winget, name)).read()
            assert f"InstallerSha256: {sha(msi).upper()}\n" in body, body
            props = subprocess.run(["msiinfo", "export", os.path.join(out, stem + ".msi"),
                                    "Property"], check=True, capture_output=True, text=True)
            props = dict(l.split("\t", 1) for l in props.stdout.splitlines() if "\t" in l)
            for key in ("ProductCode", "UpgradeCode"):
                assert f'{key}: "{props[key]}"\n' in body, (key, props[key], body)
            assert body.count(f'ProductCode: "{props["ProductCode"]}"\n') == 2, body
print("validated", out)
