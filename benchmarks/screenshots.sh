#!/usr/bin/env bash
# The README's and docs' window pictures, remade: each program runs under Xvfb (a virtual
# screen) and its window is captured after a while. Needs Debian's xvfb, xdotool, imagemagick.
#   bash benchmarks/screenshots.sh [OUT_DIR [DOCS_DIR]]   (default: examples/ and docs/images/)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-examples}
docs=${2:-docs/images}
python=${PYTHON:-.venv/bin/python}
data=${DATA_DIR:-datasets/mnist}

xvfb="" app=""
stop() {  # the program and its virtual screen, also when a step fails
    [ -n "$app" ] && { kill "$app" 2>/dev/null; sleep 0.5; kill -9 "$app" 2>/dev/null; } || true
    [ -n "$xvfb" ] && kill "$xvfb" 2>/dev/null || true
    app="" xvfb=""
}
trap stop EXIT
mkdir -p "$out" "$docs"

# start SCREEN COMMAND...: a fresh virtual screen (its name in $display) with COMMAND on it
display=""
start() {
    local screen=$1; shift
    display=":$((RANDOM % 500 + 200))"
    Xvfb "$display" -screen 0 "${screen}x24" >/dev/null 2>&1 & xvfb=$!
    sleep 1
    DISPLAY=$display "$@" >/dev/null 2>&1 & app=$!
}

# shot SCREEN SECONDS FILE COMMAND...: run COMMAND on a fresh virtual screen, capture its
# window after SECONDS, stop it
shot() {
    local screen=$1 seconds=$2 file=$3; shift 3
    start "$screen" "$@"
    sleep "$seconds"
    local window
    window=$(DISPLAY=$display xdotool search --pid "$app" | head -1)
    DISPLAY=$display import -window "$window" "PNG8:$file"  # 256 colours
    stop
    echo "$file"
}

train=("$python" mlp_sigmoid_emnist.py --dataset mnist --data-dir "$data" --no-download
       --no-save --seed 1 --threads 1)
shot 1400x950 12 "$out/trainer-784-24-16-10.png" "${train[@]}" --hidden 24 16 --epochs 30
shot 1400x950 12 "$out/trainer-784-100-10.png" "${train[@]}" --hidden 100 --epochs 30
shot 1400x950 40 "$out/trainer-784-800-10.png" "${train[@]}" --hidden 800 --epochs 30 --lr 0.1
shot 1400x950 14 "$out/trainer-784-128-64-32-16-10.png" "${train[@]}" --hidden 128 64 32 16 \
    --epochs 30

# the identifier, with one stroke drawn by the mouse through the points given as "x y x y ..."
# on the canvas (at (24, 72), 448 px, at the default size)
drawn() {
    local screen=$1 file=$2 points=$3; shift 3
    start "$screen" "$@"
    sleep 4
    local window X Y
    window=$(DISPLAY=$display xdotool search --pid "$app" | head -1)
    eval "$(DISPLAY=$display xdotool getwindowgeometry --shell "$window")"
    local at
    read -r -a at <<< "$points"
    DISPLAY=$display xdotool mousemove $((X + 24 + at[0])) $((Y + 72 + at[1])) mousedown 1
    for ((k = 2; k < ${#at[@]}; k += 2)); do
        DISPLAY=$display xdotool mousemove $((X + 24 + at[k])) $((Y + 72 + at[k + 1]))
        sleep 0.05
    done
    DISPLAY=$display xdotool mouseup 1
    sleep 1
    DISPLAY=$display import -window "$window" "PNG8:$file"  # 256 colours
    stop
    echo "$file"
}

drawn 1280x800 "$out/identifier.png" "110 110 220 110 340 110 300 230 260 340 230 420" \
    "$python" number_identifier_mnist.py
drawn 1280x800 "$docs/identifier-letters.png" "80 90 230 90 380 90 230 90 230 250 230 400" \
    "$python" number_identifier_mnist.py tests/fixtures/letters-784-32-26.npz

# the README's GIF: the trainer's own recording of a 784-100-10 run (no screen needed)
"$python" mlp_sigmoid_emnist.py --dataset mnist --data-dir "$data" --no-download --no-save \
    --no-log --seed 1 --hidden 100 --epochs 6 --headless --record "$out/trainer.gif" \
    --overwrite >/dev/null && echo "$out/trainer.gif"
