package docker

import (
	"context"
	"fmt"
	"io"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/pkg/jsonmessage"
)

// ensureImage makes sure the daemon has ref, pulling it when it is missing. Any failure to
// get the image, other than an unreachable daemon, is ErrImageUnavailable: the daemon
// lacks it and no registry would hand it over.
func (c *Client) ensureImage(ctx context.Context, ref string) error {
	_, err := c.api.ImageInspect(ctx, ref)
	if err == nil {
		return nil
	}
	if isConnectionError(err) {
		return wrapAPIError("inspect image", err)
	}
	if !cerrdefs.IsNotFound(err) && !cerrdefs.IsInvalidArgument(err) {
		return fmt.Errorf("inspect image %s: %w", ref, err)
	}

	if err := c.pull(ctx, ref); err != nil {
		if isConnectionError(err) {
			return wrapAPIError("pull image", err)
		}
		return fmt.Errorf("%w: image %s is not on the daemon and could not be pulled: %w",
			ErrImageUnavailable, ref, err)
	}
	return nil
}

// pull fetches ref. The daemon reports a failed pull inside the progress stream, so the
// stream is read to its end.
func (c *Client) pull(ctx context.Context, ref string) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.PullTimeout)
	defer cancel()

	progress, err := c.api.ImagePull(ctx, ref, image.PullOptions{})
	if err != nil {
		return err
	}
	defer progress.Close()
	return jsonmessage.DisplayJSONMessagesStream(progress, io.Discard, 0, false, nil)
}

// RemoveImage deletes the image ref, with the layers only it used.
func (c *Client) RemoveImage(ctx context.Context, ref string) error {
	_, err := c.api.ImageRemove(ctx, ref, image.RemoveOptions{Force: true, PruneChildren: true})
	if err != nil && !cerrdefs.IsNotFound(err) {
		return wrapAPIError("remove image", err)
	}
	return nil
}
