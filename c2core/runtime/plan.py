"""A prepared net: ops bound to kernels, blobs in list slots, one run loop.

`Plan` does every per-op decision once, at prepare time: kernel lookup,
argument parsing (each kernel's `prepare` hook), blob name -> slot index,
whether an op may write into its input's buffer (in-place), and after which
op a blob is dead and its slot can be dropped (so the allocator reuses the
memory). The run loop then only indexes lists and calls kernels.

Blob names are versioned in Caffe2 (in-place ops rewrite the same name), so a
slot holds a name's *current* value; fetching a name gives its last value.

Buffer reuse: an op with an in-place kernel variant writes into its first
input's buffer when the runtime owns that buffer (made by an earlier op, not
a view, not a weight or a caller's input) and either the op rewrites the same
blob or nothing reads that blob afterwards (and the caller did not ask to
keep it).

Every kernel failure is re-raised as `C2RuntimeError` naming the op type,
index and name, and each input blob with its shape and dtype.
"""

from __future__ import annotations

from ..args import Args
from ..errors import C2Error, C2RuntimeError


def describe(value) -> str:
    """`[1, 3, 224, 224] float32` for a tensor-like value."""
    if value is None:
        return "<missing>"
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    if shape is None:
        return type(value).__name__
    return f"{list(shape)} {str(dtype).replace('torch.', '')}"


def nested_nets(op):
    """NetDefs held in an op's arguments (If/While bodies)."""
    for a in op.arg:
        if a.HasField("n"):
            yield a.n
        for n in a.nets:
            yield n


def walk_ops(net):
    """Every op of a net and of the sub-nets in its ops' arguments, depth first."""
    for op in net.op:
        yield op
        for sub in nested_nets(op):
            yield from walk_ops(sub)


def written_blobs(net) -> set:
    """Blobs a net's ops write, sub-nets included (they share the workspace)."""
    return {o for op in walk_ops(net) for o in op.output}


def reads_before_writes(net) -> list:
    """Blobs a net reads before any of its own ops writes them, in op order:
    what a sub-net needs from the workspace it runs in (loop state such as a
    counter `Add(i, one) -> i` included)."""
    produced: set = set()
    reads: list = []
    for op in net.op:
        reads += [n for n in op.input if n not in produced and n not in reads]
        produced.update(op.output)
    return reads


def all_op_types(net) -> set:
    """Op types of a net and of every sub-net in its ops' arguments."""
    return {op.type for op in walk_ops(net)}


class Plan:
    """One NetDef prepared for repeated runs.

    consts: name -> value (weights, already on the device); fed: names given
    at run time; keep: names whose final values must survive the run (None
    keeps every blob); parent: the plan whose op runs this one as a sub-net.

    Sub-nets (If/While bodies) share the workspace with the net that runs
    them, as in Caffe2: they read any blob the enclosing nets hold (`lookup`)
    and what they write is visible there afterwards (`store`).
    """

    def __init__(self, net, consts: dict, fed, keep=None, device="cpu", inplace: bool = True, parent=None):
        from ..ops.registry import OpContext, lookup

        self.net = net
        self.device = device
        self.parent = parent
        self._subplans: dict = {}
        self._subnet_io: dict = {}  # id(sub-net) -> (reads before writes, written names)
        self._current: list | None = None
        ops = list(net.op)
        written = written_blobs(net)
        self.const_names = {n for n in consts if n not in written}
        slots: dict[str, int] = {}

        def slot(name):
            i = slots.get(name)
            if i is None:
                i = slots[name] = len(slots)
            return i

        for n in fed:
            slot(n)
        for n in consts:
            slot(n)
        has_subnets = any(True for op in ops for _ in nested_nets(op))
        io = [(tuple(slot(n) for n in op.input), tuple(slot(n) for n in op.output)) for op in ops]
        # Liveness (only when the caller does not keep every blob): which slots
        # are read again after each step.
        keep_slots = None
        live_after: list = [None] * len(ops)
        if keep is not None and not has_subnets:
            keep_slots = {slots[n] for n in keep if n in slots} | {slots[n] for n in consts}
            live: set = set()
            for k in range(len(ops) - 1, -1, -1):
                live_after[k] = live
                ins, outs = io[k]
                live = (live - set(outs)) | set(ins)
        available = set(fed) | set(consts)
        steps = []
        owned: dict[int, bool] = {}
        for i, op in enumerate(ops):
            spec = lookup(op.type)
            if spec is None:
                raise C2RuntimeError(f"op #{i} {op.type}: no kernel for this op type")
            missing = [n for n in op.input if n not in available]
            if missing:
                known = ", ".join(sorted(available)[:12])
                raise C2Error(f"op #{i} {op.type} reads blob(s) {', '.join(repr(m) for m in missing)} that no input, weight or earlier op provides (known: {known}{', ...' if len(available) > 12 else ''})")
            ctx = OpContext(
                op=op,
                args=Args(op.arg, op.type),
                index=i,
                run_subnet=self.run_subnet,
                read_blob=self.lookup,
                consts=tuple(consts[n] if n in self.const_names else None for n in op.input),
                device=device,
            )
            if spec.prepare is not None:
                try:
                    ctx.state = spec.prepare(ctx)
                except C2Error:
                    raise
                except Exception as e:
                    raise C2RuntimeError(f"{ctx.where}: cannot prepare: {type(e).__name__}: {e}") from e
            ins, outs = io[i]
            fn = spec.kernel
            if inplace and spec.inplace is not None and ins and outs and owned.get(ins[0], False):
                # Write into the first input's buffer when that buffer is ours
                # and its value is not needed afterwards: the op rewrites the
                # same blob (Caffe2 in-place), or the blob is dead after this op.
                same = outs[0] == ins[0]
                dead = live_after[i] is not None and ins[0] not in live_after[i] and ins[0] not in keep_slots
                if same or dead:
                    fn = spec.inplace
            # Ownership: a fresh result can be overwritten in place; a view (or
            # anything a view was taken of) cannot.
            if spec.view:
                for j in ins:
                    owned[j] = False
            if any(True for _ in nested_nets(op)):
                # a sub-net may have stored views of any blob anywhere
                owned = dict.fromkeys(owned, False)
            for j in outs:
                owned[j] = not spec.view
            available.update(op.output)
            steps.append([fn, ctx, ins, outs, ()])
        self.slots = slots
        self.names = [None] * len(slots)
        for n, i in slots.items():
            self.names[i] = n
        self.fed_slots = {n: slots[n] for n in fed}
        self._initial = [None] * len(slots)
        for n, v in consts.items():
            self._initial[slots[n]] = v
        if keep_slots is not None:
            self._plan_frees(steps, keep_slots)
        self.steps = [tuple(s) for s in steps]

    def _plan_frees(self, steps, keep_slots):
        """Mark, per step, slots whose value nobody reads afterwards."""
        live: set = set()
        for st in reversed(steps):
            ins, outs = st[2], st[3]
            after = live
            dead = tuple(j for j in set(ins) | set(outs) if j not in after and j not in keep_slots)
            st[4] = dead
            live = (after - set(outs)) | set(ins)

    # ------------------------------------------------------------------
    def execute(self, feeds: dict) -> list:
        """Run once; feeds maps slot index -> value. Returns the slot list."""
        slots = self._initial.copy()
        for j, v in feeds.items():
            slots[j] = v
        prev = self._current
        self._current = slots
        try:
            for st in self.steps:
                fn, ctx, ins, outs, dead = st
                try:
                    r = fn(ctx, *[slots[j] for j in ins])
                except C2Error as e:
                    if isinstance(e, C2RuntimeError) and str(e).startswith("op #"):
                        raise
                    raise self._failure(st, slots, e) from e
                except Exception as e:
                    raise self._failure(st, slots, e) from e
                if type(r) is tuple:
                    if len(r) < len(outs):
                        raise self._failure(st, slots, ValueError(f"kernel gave {len(r)} outputs, the op names {len(outs)}"))
                    for j, v in zip(outs, r):
                        slots[j] = v
                else:
                    slots[outs[0]] = r
                for j in dead:
                    slots[j] = None
        finally:
            self._current = prev
        return slots

    def _failure(self, st, slots, exc) -> C2RuntimeError:
        ctx, ins = st[1], st[2]
        op = ctx.op
        parts = [f"{op.input[k]} {describe(slots[j])}" for k, j in enumerate(ins)]
        reason = str(exc) if isinstance(exc, C2Error) else f"{type(exc).__name__}: {exc}"
        fused = ctx.args.get("__c2core_act")
        note = f" (with a fused {fused} activation)" if fused else ""
        msg = f"{ctx.where}{note}: {reason} [inputs: {', '.join(parts) or 'none'}; outputs: {', '.join(op.output)}]"
        return C2RuntimeError(msg)

    # ------------------------------------------------------------------
    def lookup(self, name):
        """A blob's current value as a running op sees it: this net's value,
        else the enclosing nets' (None when no one has set it)."""
        j = self.slots.get(name)
        if j is not None and self._current is not None:
            v = self._current[j]
            if v is not None:
                return v
        return self.parent.lookup(name) if self.parent is not None else None

    def store(self, name, value) -> None:
        """Write a blob a sub-net produced into the workspace that holds that
        name (this net's, else an enclosing net's; nowhere if none does)."""
        j = self.slots.get(name)
        if j is not None and self._current is not None:
            self._current[j] = value
        elif self.parent is not None:
            self.parent.store(name, value)

    def run_subnet(self, net, blobs: dict) -> dict:
        """Run a sub-net (If/While bodies) on `blobs`; blobs it reads before
        writing them that are not given come from the enclosing workspace.
        What the sub-net writes is stored back there (Caffe2 runs sub-nets in
        the parent's workspace). Returns every blob the sub-net holds after
        running, by name."""
        io = self._subnet_io.get(id(net))
        if io is None:
            io = self._subnet_io[id(net)] = (reads_before_writes(net), [n for op in net.op for n in op.output])
        reads, writes = io
        given = {}
        for n in reads:
            if n in blobs or n in self.const_names:
                continue
            v = self.lookup(n)
            if v is None:
                raise C2Error(f"sub-net '{net.name}' reads blob '{n}' that is neither given nor set in the enclosing net")
            given[n] = v
        given.update(blobs)
        key = (id(net), frozenset(given))
        plan = self._subplans.get(key)
        if plan is None:
            consts = {n: self._initial[self.slots[n]] for n in self.const_names if n not in given}
            plan = Plan(net, consts, list(given), keep=None, device=self.device, inplace=False, parent=self)
            self._subplans[key] = plan
        slots = plan.execute({plan.fed_slots[n]: v for n, v in given.items()})
        out = {n: slots[j] for n, j in plan.slots.items() if slots[j] is not None and n not in plan.const_names}
        for n in writes:
            if n in out:
                self.store(n, out[n])
        return out
