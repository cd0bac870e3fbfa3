"""The Function App: registers the blueprints, nothing else (routes are prefixed /anomalydetector/v1.1 by host.json)."""
import azure.durable_functions as df
import azure.functions as func

import api
from orchestrations import detection, inbox, maintenance, training

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)
app.register_functions(api.bp)
app.register_functions(training.bp)
app.register_functions(detection.bp)
app.register_functions(inbox.bp)
app.register_functions(maintenance.bp)
