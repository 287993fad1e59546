#!/usr/bin/env python3
"""Checks model.safetensors in PyTorch against the tools, for a model trained on Fashion-MNIST.

The module of docs/FORMATS.md (its python block, executed as written with the path replaced)
loads RUN/model.safetensors; its encode() of the first 20 test images (read from the dataset's
IDX file, with their labels for a conditional model) is compared with the mu columns that
vae-embed wrote to LATENTS, and, given SHEET (vae-generate samples --rows 1 --cols 1
--temperature 0 --pad 0 [--class CLASS]), the decoder's mean image of z = 0 with the bytes of
that sheet. Needs torch, numpy and safetensors; the project itself does not.

Run: python docs/check_safetensors.py RUN LATENTS [SHEET [CLASS]]
"""
import sys, re, gzip, csv, numpy as np, torch
doc = __file__.rsplit("/", 1)[0] + "/FORMATS.md" if "/" in __file__ else "FORMATS.md"
run, latents = sys.argv[1], sys.argv[2]
N = 20
text = open(doc).read()
block = text[text.index("A module that loads the file of either architecture"):]
code = re.search(r"```python\n(.*?)```", block, re.S).group(1)
code = code.replace('path = "artifacts/fashion-mnist/latest/train/model.safetensors"', f'path = "{run}/model.safetensors"')
env = {}
exec(code, env)
with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") as f: images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
with gzip.open("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz") as f: labels = np.frombuffer(f.read(), np.uint8, offset=8)
rows = [r for r in csv.DictReader(open(latents)) if r["split"] == "test"][:N]
Z = env["Z"]; K = env["K"]
worst = 0.0
with torch.no_grad():
    for i, r in enumerate(rows):
        assert int(r["index"]) == i, r["index"]
        mu = env["encode"](images[i], int(labels[i]) if K else None).numpy()
        ref = np.array([float(r[f"mu_{j + 1}"]) for j in range(Z)])
        worst = max(worst, float(np.abs(mu - ref).max()))
print(f"{run}: snippet, K={K}: largest |mu - vae-embed mu| over {N} test images = {worst:.3g} (largest |mu| {max(abs(float(r[f'mu_{j + 1}'])) for r in rows for j in range(Z)):.3g})")
def png_gray(path):
    """An 8-bit gray, non-interlaced PNG's pixels (the sheets vae-generate writes)."""
    import zlib, struct
    b = open(path, "rb").read(); pos = 8; idat = b""; w = h = 0
    while pos < len(b):
        n, kind = struct.unpack(">I4s", b[pos:pos + 8]); data = b[pos + 8:pos + 8 + n]; pos += 12 + n
        if kind == b"IHDR": w, h, depth, color = struct.unpack(">IIBB", data[:10]); assert (depth, color) == (8, 0)
        if kind == b"IDAT": idat += data
    raw = zlib.decompress(idat); out = np.zeros((h, w), np.int64); prev = np.zeros(w, np.int64)
    for y in range(h):
        f, line = raw[y * (w + 1)], np.frombuffer(raw[y * (w + 1) + 1:(y + 1) * (w + 1)], np.uint8).astype(np.int64); cur = np.zeros(w, np.int64)
        for x in range(w):
            a = cur[x - 1] if x else 0; up = prev[x]; c = prev[x - 1] if x else 0
            p = a + up - c; pr = a if abs(p - a) <= abs(p - up) and abs(p - a) <= abs(p - c) else (up if abs(p - up) <= abs(p - c) else c)
            cur[x] = (line[x] + [0, a, up, (a + up) // 2, pr][f]) % 256
        out[y] = prev = cur
    return out
if len(sys.argv) > 3:
    sheet, cls = sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else None
    e, d, conv, F = env["e"], env["d"], env["conv"], env["F"]
    onehot = F.one_hot(torch.tensor([cls]), K).float() if K else torch.zeros(1, 0)
    with torch.no_grad():
        h = torch.cat([torch.zeros(1, Z), onehot], 1)
        if conv:
            H, W = env["H"], env["W"]
            h = torch.relu(d.linear(h)).view(1, conv[-1], H >> len(conv), W >> len(conv))
            for j, layer in enumerate(d.deconv): h = layer(h) if j == len(d.deconv) - 1 else torch.relu(layer(h))
        else:
            for layer in d.hidden: h = torch.relu(layer(h))
            h = d.out(h)
        mean = torch.sigmoid(h).numpy().reshape(28, 28)
    got = png_gray(sheet)
    print(f"{run}: decoder mean of z = 0{'' if cls is None else f', class {cls}'}: largest |round(255 mean) - vae-generate byte| = {int(np.abs(np.floor(mean * 255 + 0.5) - got).max())} (bytes spread {got.min()}..{got.max()})")
