"""Run the released DSVA code (wenjiaXu/RS_Scene_ZSL, MIT) on ``shared.py``'s inputs; write golden.npz.

    git clone https://github.com/wenjiaXu/RS_Scene_ZSL /tmp/RS_Scene_ZSL
    .venv/bin/pip install --target /tmp/dsva-extra scikit-image scikit-learn h5py opencv-python-headless
    .venv/bin/pip install --target /tmp/dsva-extra --no-deps timm   # then delete numpy/scipy/PIL there
    PYTHONPATH=/tmp/dsva-extra .venv/bin/python -m tests.released_dsva.generate_golden \\
        --released /tmp/RS_Scene_ZSL

``--released`` is a clone (or bare git directory) of the released repository; its ``model/*.py`` are read
at commit b69a498 and imported unmodified. The released code needs scikit-image (its crop box), timm,
scikit-learn, h5py and OpenCV at import time, which rsrepro does not: hence golden outputs rather than
vendored code, and the tests need none of them. Two things are patched from outside, never in the code:
``CLIPModel.from_pretrained`` (the code loads clip-rsicd from a hard-coded path and keeps its
``vision_model``; here that is ``shared.TinyViT`` with the shared weights), and ``Tensor.cuda`` (the code
moves its CPT distance table to CUDA unconditionally; this runs on the CPU).
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from tests.released_dsva import shared

COMMIT = "b69a49837f642fc20fc15f879becd9f16f429438"
OUT = Path(__file__).with_name("golden.npz")


def extract_released(repo: Path, target: Path) -> Path:
    """The released ``model/`` folder at COMMIT (``git archive``, so a bare repository works too)."""
    archive = subprocess.run(
        ["git", "--git-dir", str(_git_dir(repo)), "archive", COMMIT, "model"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target / "model"


def _git_dir(repo: Path) -> Path:
    return repo / ".git" if (repo / ".git").exists() else repo


class RecordingMeasure:
    """Stands in for ``skimage.measure`` inside the released ``model`` module and records each box that
    its ``get_proposal`` computes: ``label`` starts an image (full image if no component), the second
    ``regionprops`` call of that image is the largest component's, whose ``bbox`` the code uses."""

    def __init__(self, measure) -> None:
        self.measure = measure
        self.boxes: list[list[int]] = []
        self.calls = 0

    def label(self, mask):
        self.boxes.append([0, 0, shared.SIZE, shared.SIZE])
        self.calls = 0
        return self.measure.label(mask)

    def regionprops(self, labels):
        props = self.measure.regionprops(labels)
        self.calls += 1
        if self.calls == 2 and props:
            self.boxes[-1] = list(props[0].bbox)
        return props


class ReleasedVision(nn.Module):
    """``clip_model.vision_model`` as the released code calls it: ``(img, return_dict=False)`` ->
    (last_hidden_state, pooled_output)."""

    def __init__(self) -> None:
        super().__init__()
        self.vit = shared.TinyViT()
        state = shared.shared_state()
        self.vit.load_state_dict(
            {k.removeprefix("tower."): v for k, v in state.items() if k.startswith("tower.")}
        )

    def forward(self, img: torch.Tensor, return_dict: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        tokens = self.vit(img)
        return tokens, tokens[:, 0]


def released_model(model_module, opt: SimpleNamespace) -> nn.Module:
    net = model_module.CLIP_proto(opt, shared.GROUPS)
    state = shared.shared_state()
    with torch.no_grad():
        net.ALE_vector[0].weight.copy_(state["norm.weight"])
        net.ALE_vector[0].bias.copy_(state["norm.bias"])
        net.ALE_vector[1].weight.copy_(state["head.weight"])
        net.ALE_vector[1].bias.copy_(state["head.bias"])
        net.prototype_vectors["layer4"].copy_(state["prototypes"].unsqueeze(-1))
    return net.eval()


def forward_and_loss(
    model_module, main_utils, visual_utils, recorder: RecordingMeasure
) -> dict[str, np.ndarray]:
    opt = SimpleNamespace(
        version=1,
        dataset="RSSDIVCS",
        attri_dim=shared.N_ATTRIBUTES,
        avg_pool=False,
        pro_start_epoch=-1,  # crop branch on from epoch 0 (scripts 01, 02 and the GZSL ones)
        pro_thr=1.0,
        pro_weight=1.0,
        additional_loss=True,
        use_group=True,
    )
    net = released_model(model_module, opt)
    images, labels, class_attributes = shared.episode()
    attribute_seen = class_attributes.t().contiguous()  # the released code's A x C layout
    captured = {}
    get_proposal, rawcls_net = net.get_proposal, net.rawcls_net

    def recording_proposal(*args):
        windows, maps = get_proposal(*args)
        captured["windows"] = windows
        return windows, maps

    def recording_rawcls(*args):
        captured["crop_attributes"] = rawcls_net(*args)
        return captured["crop_attributes"]

    net.get_proposal, net.rawcls_net = recording_proposal, recording_rawcls
    first_box = len(recorder.boxes)
    output, pre_attri, attention, pre_class = net(images, attribute_seen)
    # Loss_fn with every weight 1, so that its log holds each term unweighted
    reg_weight = {
        "final": {"xe": 1.0, "attri": 1.0, "regular": 1.0},
        "proposal": {"xe": 0},
        "layer4": {"l_xe": 1.0, "attri": 1.0, "regular": 1.0, "cpt": 1.0},
    }
    terms = "l_xe_final l_attri_final l_regular_final l_xe_layer l_attri_layer l_regular_layer l_cpt l_xe_pro"
    log = dict.fromkeys(terms.split(), 0.0)
    middle_graph = main_utils.get_middle_graph(1.0, net)
    label_a = attribute_seen[:, labels].t()
    total = main_utils.Loss_fn(
        opt, log, reg_weight, nn.CrossEntropyLoss(), nn.MSELoss(), net, output, pre_attri, attention,
        pre_class, label_a, labels, True, middle_graph, list(shared.GROUPS), shared.GROUPS, use_ViT=True,
    )  # fmt: skip
    stride = shared.WINDOW_STRIDE
    return {
        "forward_output": output.detach().numpy(),
        "forward_attr_global": pre_attri["final"].detach().numpy(),
        "forward_attr_local": pre_attri["layer4"].detach().numpy(),
        "forward_maps": attention["layer4"].detach().numpy(),
        "forward_class_local": pre_class["layer4"].detach().numpy(),
        "forward_attr_crop": captured["crop_attributes"].detach().numpy(),
        "forward_boxes": np.array(recorder.boxes[first_box:]),
        "forward_windows": captured["windows"][:, :, ::stride, ::stride].numpy(),
        **{f"loss_{k}": np.float64(v) for k, v in log.items()},
        "loss_lasso_initial": np.float64(
            sum(
                visual_utils.add_glasso(shared.initial_prototypes(), g).item() for g in shared.GROUPS.values()
            )
        ),
        "loss_total": np.float64(total.item()),
    }


def crop_boxes(model_module, recorder: RecordingMeasure) -> dict[str, np.ndarray]:
    """``get_proposal`` on the box case, 16 images at a time (it upsamples all 98 maps to 224 px)."""
    fake = SimpleNamespace(
        group=list(shared.GROUPS.values()),
        group_dim=len(shared.GROUPS),
        opt=SimpleNamespace(pro_thr=1.0),
        device="cpu",
    )
    images, maps, attributes = shared.box_case()
    first_box, windows = len(recorder.boxes), []
    for rows in torch.arange(len(images)).split(16):
        w, _ = model_module.CLIP_proto.get_proposal(fake, images[rows], maps[rows], attributes[rows])
        windows.append(w[:, :, :: shared.WINDOW_STRIDE, :: shared.WINDOW_STRIDE])
    return {"box_boxes": np.array(recorder.boxes[first_box:]), "box_windows": torch.cat(windows).numpy()}


class ReplayModel:
    """The released evaluation's view of a model: ``model(images, attribute)`` -> its four outputs. Here
    the "images" are row numbers of precomputed attribute predictions; the prototype branch's class
    probabilities are computed from them exactly as ``CLIP_proto.forward`` does."""

    extract: ClassVar[list[str]] = ["layer4"]

    def __init__(self, predictions: np.ndarray) -> None:
        self.predictions = torch.from_numpy(predictions)

    def __call__(self, rows: torch.Tensor, attribute: torch.Tensor):
        probabilities = torch.softmax(self.predictions[rows].mm(attribute), dim=1)
        # two tensors, as the real model's: calibrated_stacking edits a CPU tensor in place
        return probabilities.clone(), None, None, {"layer4": probabilities}


def loader(rows: np.ndarray, labels: np.ndarray, batch: int = 64) -> list:
    return [
        (torch.from_numpy(rows[k : k + batch]), torch.from_numpy(labels[rows[k : k + batch]]), None)
        for k in range(0, len(rows), batch)
    ]


def metrics(main_utils, visual_utils) -> dict[str, np.ndarray]:
    """``test_zsl_proposal`` and ``test_gzsl_proposal`` as main.py calls them (prototype branch, mean
    per-class accuracy, no proposal), and H as main.py computes it; percentages."""
    out = {}
    for case in shared.metric_cases():
        labels, matrix = case["labels"], torch.from_numpy(case["matrix"])
        model = ReplayModel(case["predictions"])
        unseen_rows = np.flatnonzero(np.isin(labels, case["unseen"]))
        seen_rows = np.flatnonzero(np.isin(labels, case["seen"]))
        unseen_classes = torch.from_numpy(np.unique(labels[unseen_rows]))  # data.unseenclasses
        seen_classes = torch.from_numpy(case["seen"])  # data.seenclasses: the training classes
        values = []
        for gamma in shared.GAMMAS:
            opt = SimpleNamespace(
                cuda=False,
                all=False,
                sel_res="layer",
                calibrated_stacking=gamma,
                test_seen_label=torch.from_numpy(labels[seen_rows]),
            )
            zsl = main_utils.test_zsl_proposal(
                opt,
                model,
                loader(unseen_rows, labels),
                visual_utils.prepare_attri_label(matrix, unseen_classes),
                unseen_classes,
                use_proposal=False,
            )
            gzsl = matrix.t().contiguous()
            s = main_utils.test_gzsl_proposal(
                opt, model, loader(seen_rows, labels), gzsl, seen_classes, use_proposal=False
            )
            u = main_utils.test_gzsl_proposal(
                opt, model, loader(unseen_rows, labels), gzsl, unseen_classes, use_proposal=False
            )
            h = 0 if (u + s) == 0 else 2 * u * s / (u + s)
            values.append([zsl, u, s, h])
        out[f"metrics_{case['name']}"] = np.array(values, dtype=np.float64)  # gamma x (ZSL, U, S, H)
    return out


def labels_of_masks(measure) -> dict[str, np.ndarray]:
    masks = shared.label_masks()
    return {
        "label_masks": masks,
        "label_labels": np.stack([measure.label(m) for m in masks]).astype(np.int16),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--released", type=Path, required=True, help="clone or bare git dir of RS_Scene_ZSL")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.Tensor.cuda = lambda self, *a, **k: self  # CPU only (see the module docstring)
    import transformers

    fake_clip = SimpleNamespace(vision_model=ReleasedVision())
    transformers.CLIPModel.from_pretrained = staticmethod(lambda *a, **k: fake_clip)
    with tempfile.TemporaryDirectory() as tmp:
        sys.path.insert(0, str(extract_released(args.released, Path(tmp))))
        import main_utils
        import model as model_module
        import visual_utils
        from skimage import measure

        recorder = RecordingMeasure(measure)
        model_module.measure = recorder
        golden = {
            **forward_and_loss(model_module, main_utils, visual_utils, recorder),
            **crop_boxes(model_module, recorder),
            **metrics(main_utils, visual_utils),
            **labels_of_masks(measure),
        }
    np.savez_compressed(args.out, commit=np.array(COMMIT), **golden)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e3:.0f} kB): {', '.join(sorted(golden))}")


if __name__ == "__main__":
    main()
