"""movierec: a TFX + TensorFlow Recommenders movie recommender (pip install -e .)."""

from setuptools import find_packages, setup

PACKAGES = [
    "movielens", "pipeline", "components", "transform", "trainer", "serving", "schema", "cli", "exploration", "webapp",
]  # fmt: skip

setup(
    name="movierec",
    version="0.1.0",
    description="MovieLens recommender as a TFX pipeline around TensorFlow Recommenders, served by TF Serving",
    python_requires=">=3.10,<3.11",
    packages=find_packages(include=[p for name in PACKAGES for p in (name, f"{name}.*")]),
    package_data={"schema": ["*.pbtxt"], "webapp": ["static/*"]},
    include_package_data=True,
    # What the code imports at run time. Pinned versions live in requirements.lock (compiled from
    # requirements.in with uv); TFX brings TFT, TFDV, TFMA, ML Metadata and absl at its own pins.
    install_requires=[
        "tfx[kfp]==1.16.0",
        "tensorflow==2.16.2",
        "tf-keras==2.16.0",
        "tensorflow-recommenders==0.7.7",
        "tensorflow-serving-api==2.16.1",
        "apache-beam[gcp]==2.59.0",
        "numpy",
        "pandas",
        "grpcio",
        "protobuf",
        "requests",  # serving client (REST)
        "prometheus-client",  # serving metrics
        "tornado",  # the local model server's REST front end
        "matplotlib",  # exploration report figures
        "wordcloud",
        "folium",  # exploration report map
        "zipcodes",
    ],
    entry_points={"console_scripts": ["movierec=cli.main:main"]},
)
