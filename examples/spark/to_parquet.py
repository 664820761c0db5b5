"""Rewrites accounts from JSON Lines as Parquet (nested struct columns), as
a table of accounts usually arrives.

    spark-submit examples/spark/to_parquet.py accounts.jsonl accounts.parquet
"""

import sys

from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("credo-accounts-to-parquet").getOrCreate()
spark.read.option("inferTimestamp", "false").json(sys.argv[1]).write.mode("overwrite").parquet(sys.argv[2])
spark.stop()
