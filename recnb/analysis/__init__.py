"""Analyses built on the data and the models, one module per question of the study (notebook in brackets).

Every module of the package:

* :mod:`~recnb.analysis.datasets`: profiles of every dataset, caveats from the sources' notes (01);
* :mod:`~recnb.analysis.preprocessing`: normalisation, the split's stages, the baselines chosen on validation (02);
* :mod:`~recnb.analysis.autoencoding`: feature autoencoder profiles, latent-size sweep (03);
* :mod:`~recnb.analysis.cell_study`: sequence cells chosen on validation, input ablation, does size pay (04);
* :mod:`~recnb.analysis.scaling_law`: parameter counts, the saturating law of loss against compute (04, 10);
* :mod:`~recnb.analysis.graphs`: graph variants over seeds, the depth sweep, the social-graph comparison (05);
* :mod:`~recnb.analysis.fusions`: encoders and fusions over seeds, the fusion chosen on validation and tested (06);
* :mod:`~recnb.analysis.funnel`: the view -> cart -> purchase conversion funnel with Wilson CIs (07);
* :mod:`~recnb.analysis.shop`: the next-purchase line-up, the fusion candidates, selection on validation,
  multi-behaviour input (07);
* :mod:`~recnb.analysis.new_users`: new users held out and revealed event by event (07);
* :mod:`~recnb.analysis.explain`: occlusion and neighbour explanations of a recommendation (07);
* :mod:`~recnb.analysis.recommend`: a user's recommendation list with the dataset's own ids (07);
* :mod:`~recnb.analysis.casestudy`: notebook 07's sections as functions returning tables and rendered sentences;
* :mod:`~recnb.analysis.personas`: personas from the feature autoencoder's latent profile (08);
* :mod:`~recnb.analysis.prediction`: purchase and next-category prediction across time cuts (08);
* :mod:`~recnb.analysis.anomaly`: shilling attacks, their detection and their effect (08);
* :mod:`~recnb.analysis.analytics`: notebook 08's sections as functions returning tables and rendered sentences;
* :mod:`~recnb.analysis.cold_items`: the cold-item protocol, items no ID model trained on (09);
* :mod:`~recnb.analysis.text_study`: what a sentence encoder reading the items buys, warm and cold (09);
* :mod:`~recnb.analysis.generative_study`: generative retrieval over semantic IDs, the scaling grid, published
  numbers (10);
* :mod:`~recnb.analysis.stream_study`: the streams' cuts, updated vs stale states, refits, new items and the
  federated tables (11);
* :mod:`~recnb.analysis.benchmark`: the line-up on the S3-Rec benchmark files beside the published tables, the
  best model and the fusion chosen on validation and tested (12).

Models are in :mod:`recnb.models`, splits in :mod:`recnb.data` (the stream split: :mod:`recnb.data.stream`),
serving on a stream in :mod:`recnb.serving`, the result type of seeded runs in :mod:`recnb.experiment`.
"""
