"""The few facts every layer of the project shares, in one place with no imports of its own."""

IMAGE_SIDE = 28                       # MNIST and EMNIST images are 28 × 28 pixels
N_INPUTS = IMAGE_SIDE * IMAGE_SIDE    # one network input per pixel
