# Image benchmark input (README "Performance"): a ~1 GB `docker save` tarball of 4 uncompressed
# layers of 240 text files (1 MiB each), a config with `rootfs.diff_ids`, `manifest.json` last (as
# docker writes it). Written where asked (default /tmp/image-bench/big.tar), never committed.
import base64, hashlib, io, json, os, random, tarfile
random.seed(1)
import sys
out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/image-bench/big.tar"
LAYERS, FILES, SIZE = 4, 240, 1 << 20
words = [base64.b64encode(os.urandom(9)).decode() for _ in range(5000)]
def text():
    lines = []
    n = 0
    while n < SIZE:
        l = "key_%d = %s %s %s\n" % (random.randrange(1000), random.choice(words), random.choice(words), random.choice(words))
        lines.append(l); n += len(l)
    return "".join(lines).encode()[:SIZE]
bodies = [text() for _ in range(16)]
layer_names, diff_ids = [], []
with tarfile.open(out, "w", format=tarfile.USTAR_FORMAT) as outer:
    for i in range(LAYERS):
        path = out + ".layer%d" % i
        with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as t:
            for j in range(FILES):
                data = bodies[(i * FILES + j) % len(bodies)]
                ti = tarfile.TarInfo("srv/app%d/file%04d.txt" % (i, j)); ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
        h = hashlib.sha256(open(path, "rb").read()).hexdigest()
        diff_ids.append("sha256:" + h)
        name = "%s/layer.tar" % h
        outer.add(path, arcname=name)
        os.remove(path)
        layer_names.append(name)
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Env": ["PATH=/usr/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": "COPY srv%d /srv/" % i} for i in range(LAYERS)]}).encode()
    cname = hashlib.sha256(config).hexdigest() + ".json"
    for name, data in [(cname, config), ("manifest.json", json.dumps([{"Config": cname, "RepoTags": ["bench:1"], "Layers": layer_names}]).encode())]:
        ti = tarfile.TarInfo(name); ti.size = len(data); outer.addfile(ti, io.BytesIO(data))
print(os.path.getsize(out))
