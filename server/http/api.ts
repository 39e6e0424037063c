import express, { type Router } from 'express';
import type { Hub } from '../live/hub.js';

/** Read-only REST views of the live state (docs/ARCHITECTURE.md §5). */
export function apiRouter(hub: Hub): Router {
  const router = express.Router();

  router.get('/api/v1/site', (_req, res) => {
    res.json(hub.site());
  });

  router.get('/api/v1/racks/:id', (req, res) => {
    const id = req.params.id;
    const figures = hub.figures().racks.find((r) => r.id === id);
    if (!figures) {
      res.status(404).json({ error: `rack ${JSON.stringify(id.slice(0, 100))} not found` });
      return;
    }
    const layout = hub.layout().halls.flatMap((h) => h.racks).find((r) => r.id === id);
    res.json({ layout, hall: figures.hall, figures, devices: hub.rackDevices(id) });
  });

  router.get('/api/v1/devices/:id', (req, res) => {
    // GPU ids contain a slash (`node/gpu0`): clients send it encoded, express decodes the param.
    const status = hub.deviceStatus(req.params.id);
    if (!status) {
      res.status(404).json({ error: `device ${JSON.stringify(req.params.id.slice(0, 100))} not found` });
      return;
    }
    res.json(status);
  });

  return router;
}
