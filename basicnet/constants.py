"""The few facts every layer of the project shares, in one place with no imports of its own."""

IMAGE_SIDE = 28                       # MNIST and EMNIST images are 28 × 28 pixels
N_INPUTS = IMAGE_SIDE * IMAGE_SIDE    # one network input per pixel

# How a drawing must be prepared for a network, by the way its dataset was made: MNIST scales a
# character's box to 20 px and centres its mass; EMNIST fills the frame and centres the box.
PREPARATIONS = ("mnist", "emnist")


def default_preparation(dataset: str | None) -> str:
    """The preparation of a network file that does not say (format 1), by its dataset: every
    EMNIST split went through EMNIST's conversion; MNIST, and a folder of one's own (whose
    make is unknown), are taken as MNIST-style."""
    return "emnist" if str(dataset or "").startswith("emnist-") else "mnist"
