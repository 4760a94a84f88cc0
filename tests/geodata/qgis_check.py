"""Opens a QGIS project with PyQGIS (Debian's python3-qgis, run by /usr/bin/python3, not the
project's virtualenv) and reports, as JSON on stdout, what QGIS made of it: the project's
CRS and view, the layer tree, each layer (valid, geometry, features read from the server,
renderer and its categories' colours), and which colours a render of the map holds.

    /usr/bin/python3 tests/geodata/qgis_check.py project.qgs image.png

or reads one layer through a QGIS provider, within a box if given, and reports its features:

    /usr/bin/python3 tests/geodata/qgis_check.py --layer URI PROVIDER [xmin ymin xmax ymax]
"""

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (  # noqa: E402 - after the platform is chosen
    QgsApplication,
    QgsFeatureRequest,
    QgsLayerTreeGroup,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsProject,
    QgsRectangle,
    QgsVectorLayer,
    QgsVectorTileLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QSize  # noqa: E402
from qgis.PyQt.QtGui import QColor  # noqa: E402


def symbol_color(symbol) -> str:
    return symbol.color().name() if symbol else ""


def main(path: str, image: str) -> dict:
    project = QgsProject.instance()
    if not project.read(path):
        return {"read": False, "error": project.error()}
    out = {"read": True, "crs": project.crs().authid(), "title": project.title(),
           "abstract": project.metadata().abstract()}  # fmt: skip
    view = project.viewSettings().defaultViewExtent()
    out["view"] = [view.xMinimum(), view.yMinimum(), view.xMaximum(), view.yMaximum(),
                   view.crs().authid()]  # fmt: skip

    def walk(group):
        return [
            {"group": child.name(), "children": walk(child)}
            if isinstance(child, QgsLayerTreeGroup)
            else {"layer": child.layerId()}
            for child in group.children()
        ]

    out["tree"] = walk(project.layerTreeRoot())
    layers = {}
    for layer_id, layer in project.mapLayers().items():
        info = {"name": layer.name(), "valid": layer.isValid(), "provider": layer.providerType(),
                "source": layer.source(), "abstract": layer.metadata().abstract(),
                "scales": [layer.minimumScale(), layer.maximumScale()]
                if layer.hasScaleBasedVisibility() else None}  # fmt: skip
        if isinstance(layer, QgsVectorTileLayer):
            info["styles"] = [
                {"name": style.styleName(), "layer": style.layerName(),
                 "geometry": int(style.geometryType()), "expression": style.filterExpression(),
                 "color": symbol_color(style.symbol())}
                for style in layer.renderer().styles()
            ]  # fmt: skip
        if isinstance(layer, QgsVectorLayer) and layer.isValid():
            info["geometry"] = QgsWkbTypes.displayString(layer.wkbType())
            info["ids"] = sorted(str(f["id"] if "id" in f.fields().names() else f.id())
                                 for f in layer.getFeatures())  # fmt: skip
            info["types"] = sorted({QgsWkbTypes.displayString(f.geometry().wkbType())
                                    for f in layer.getFeatures()})  # fmt: skip
            renderer = layer.renderer()
            info["renderer"] = renderer.type()
            if renderer.type() == "categorizedSymbol":
                info["field"] = renderer.classAttribute()
                info["categories"] = {c.value(): [c.label(), symbol_color(c.symbol())]
                                      for c in renderer.categories()}  # fmt: skip
            elif renderer.type() == "singleSymbol":
                info["color"] = symbol_color(renderer.symbol())
        layers[layer_id] = info
    out["layers"] = layers

    # a render of the vector layers (the base map needs the internet), counting the
    # pixels of each colour; and one of the vector-tile layers alone
    drawn = [lyr for lyr in project.layerTreeRoot().layerOrder()
             if isinstance(lyr, (QgsVectorLayer, QgsVectorTileLayer))]  # fmt: skip
    out["pixels"], scale = render(project, drawn, image)
    out["scale"] = scale
    out["shown"] = sorted(lyr.id() for lyr in drawn if lyr.isInScaleRange(scale))
    tiles = [lyr for lyr in drawn if isinstance(lyr, QgsVectorTileLayer)]
    out["tile_pixels"] = render(project, tiles, image + ".tiles.png")[0] if tiles else {}
    return out


def render(project, layers, image: str) -> tuple[dict[str, int], float]:
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(project.crs())
    settings.setExtent(project.viewSettings().defaultViewExtent())
    settings.setOutputSize(QSize(800, 800))
    settings.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    picture = job.renderedImage()
    picture.save(image)
    counts: dict[str, int] = {}
    for x in range(0, picture.width(), 2):
        for y in range(0, picture.height(), 2):
            name = QColor(picture.pixel(x, y)).name()
            counts[name] = counts.get(name, 0) + 1
    return counts, settings.scale()


def read_layer(uri: str, provider: str, box: list[str]) -> dict:
    layer = QgsVectorLayer(uri, "layer", provider)
    if not layer.isValid():
        return {"valid": False, "error": layer.error().summary()}
    request = QgsFeatureRequest()
    if box:
        request.setFilterRect(QgsRectangle(*map(float, box)))
    features = list(layer.getFeatures(request))
    return {
        "valid": True,
        "geometry": QgsWkbTypes.displayString(layer.wkbType()),
        "fields": layer.fields().names(),
        "ids": [f["id"] if "id" in f.fields().names() else f.id() for f in features],
        "names": [f["name"] if "name" in f.fields().names() else None for f in features],
        "crs": layer.crs().authid(),
    }


if __name__ == "__main__":
    app = QgsApplication([], False)
    app.setPrefixPath("/usr", True)
    app.initQgis()
    if sys.argv[1] == "--layer":
        result = read_layer(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        result = main(sys.argv[1], sys.argv[2])
    print(json.dumps(result))
    sys.stdout.flush()
    QgsProject.instance().clear()
    os._exit(0)  # PyQGIS may crash while tearing down; the answer is out
