import numpy as np

from basicnet import datasets
from basicnet.network import SGD, Network


def test_toy_dataset_learns(toy_dir):
    data = datasets.load("mnist", toy_dir)
    rng = np.random.default_rng(1)
    net = Network.create([784, 30, 10], rng)
    opt = SGD(momentum=0.9)
    x = data.train_images.astype(np.float32) / 255
    for _ in range(30):
        a = net.forward(x)
        opt.update(net, *net.backward(a, data.train_labels), 0.5)
    guess = net.predict(data.test_images.astype(np.float32) / 255).argmax(axis=1)
    assert (guess == data.test_labels).mean() > 0.9
