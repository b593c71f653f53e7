"""A file given where another kind belongs (a network to --predict, a log to the trainer, a
network to a plotter) is named as what it is, so the user knows which script wants it, not
reported as a damaged file of the kind expected."""

from pathlib import Path

import pytest
from PIL import Image

from basicnet import netfile, pictures, runlog

ROOT = Path(__file__).resolve().parent.parent
NETWORK = ROOT / "examples" / "mnist-784-400-400-10.npz"


@pytest.fixture
def samples(tmp_path):
    log = tmp_path / "run.csv"
    log.write_text("epoch,samples_seen,elapsed_s,learning_rate,train_cost,test_cost,"
                   "test_accuracy\n1,100,1.0,0.1,0.5,0.4,0.9\n")
    picture = tmp_path / "seven.png"
    Image.new("L", (20, 20), 255).save(picture)
    return {"network": NETWORK, "log": log, "picture": picture}


SAID = {"network": "a network file (.npz)", "log": "a training log (.csv)",
        "picture": "a picture (PNG)"}
READERS = {"network": (netfile.load, netfile.NetFileError, "not a network file (.npz)"),
           "log": (runlog.read, runlog.RunLogError, "not a training log"),
           "picture": (pictures.read_image, pictures.PictureError, "not a picture")}


@pytest.mark.parametrize("expected", READERS)
@pytest.mark.parametrize("given", SAID)
def test_each_reader_names_a_file_of_another_kind_as_what_it_is(samples, expected, given):
    if given == expected:
        return
    read, error, not_what = READERS[expected]
    with pytest.raises(error) as caught:
        read(samples[given])
    assert f"{SAID[given]}, {not_what}" in str(caught.value)
