//go:build cuda

package cuda

import (
	_ "embed"
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"gorgonia.org/cu"
)

//go:embed kernels.ptx
var ptx string

// openDevice opens GPU 0 through the driver (see Open).
func openDevice() (device, error) { return openDriver(0) }

// driver is a GPU through the CUDA driver API. The driver keeps the
// current context per OS thread, so every call locks the goroutine to its
// thread and makes the context current; a mutex keeps calls in order.
type driver struct {
	mu  sync.Mutex
	dev cu.Device
	ctx cu.CUContext
	fns []cu.Function
}

func openDriver(ordinal int) (*driver, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	n, err := cu.NumDevices()
	if err != nil {
		return nil, &Error{"counting devices", err}
	}
	if n <= ordinal {
		return nil, fmt.Errorf("cuda: no device %d (%d present)", ordinal, n)
	}
	dev, err := cu.GetDevice(ordinal)
	if err != nil {
		return nil, &Error{"device", err}
	}
	ctx, err := dev.RetainPrimaryCtx()
	if err != nil {
		return nil, &Error{"primary context", err}
	}
	if err := cu.SetCurrentContext(ctx); err != nil {
		return nil, &Error{"set context", err}
	}
	mod, err := cu.LoadData(ptx)
	if err != nil {
		return nil, &Error{"loading the PTX module", err}
	}
	d := &driver{dev: dev, ctx: ctx}
	for _, k := range kernels {
		f, err := mod.Function(k)
		if err != nil {
			return nil, &Error{"kernel " + k, err}
		}
		d.fns = append(d.fns, f)
	}
	return d, nil
}

func (d *driver) enter() func() {
	d.mu.Lock()
	runtime.LockOSThread()
	if err := cu.SetCurrentContext(d.ctx); err != nil {
		runtime.UnlockOSThread()
		d.mu.Unlock()
		panic(&Error{"set context", err})
	}
	return func() {
		runtime.UnlockOSThread()
		d.mu.Unlock()
	}
}

func (d *driver) name() string {
	n, _ := d.dev.Name()
	return n
}

func (d *driver) alloc(bytes int) (dptr, error) {
	defer d.enter()()
	p, err := cu.MemAlloc(int64(bytes))
	if err != nil {
		return 0, err
	}
	if err := cu.MemsetD32(p, 0, int64((bytes+3)/4)); err != nil {
		cu.MemFree(p)
		return 0, err
	}
	return dptr(p), nil
}

func (d *driver) free(p dptr) {
	defer d.enter()()
	cu.MemFree(cu.DevicePtr(p))
}

func (d *driver) zero(p dptr, bytes int) error {
	defer d.enter()()
	return cu.MemsetD32(cu.DevicePtr(p), 0, int64((bytes+3)/4))
}

func (d *driver) upload(dst dptr, src unsafe.Pointer, bytes int) error {
	defer d.enter()()
	return cu.MemcpyHtoD(cu.DevicePtr(dst), src, int64(bytes))
}

func (d *driver) download(dst unsafe.Pointer, src dptr, bytes int) error {
	defer d.enter()()
	return cu.MemcpyDtoH(dst, cu.DevicePtr(src), int64(bytes))
}

func (d *driver) launch(k int, gx, gy, gz, threads int, args []uint64) error {
	params := make([]unsafe.Pointer, len(args))
	for i := range args {
		params[i] = unsafe.Pointer(&args[i])
	}
	defer d.enter()()
	return d.fns[k].Launch(gx, gy, gz, threads, 1, 1, 0, cu.NoStream, params)
}

func (d *driver) sync() error {
	defer d.enter()()
	return cu.Synchronize()
}
