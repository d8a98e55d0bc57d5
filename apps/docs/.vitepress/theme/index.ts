import DefaultTheme from 'vitepress/theme';
import type { Theme } from 'vitepress';
import 'katex/dist/katex.min.css';
import './custom.css';
import ActivationTable from '../../components/ActivationTable.vue';
import BackpropDemo from '../../components/BackpropDemo.vue';
import CollapseDemo from '../../components/CollapseDemo.vue';
import GradientFlow from '../../components/GradientFlow.vue';
import GraphDemo from '../../components/GraphDemo.vue';
import HardCases from '../../components/HardCases.vue';
import MnistDemo from '../../components/MnistDemo.vue';
import NeuronDemo from '../../components/NeuronDemo.vue';
import PlotDemo from '../../components/PlotDemo.vue';
import PracticeProgram from '../../components/PracticeProgram.vue';
import ShapesDemo from '../../components/ShapesDemo.vue';

export default {
  extends: DefaultTheme,
  enhanceApp({ app }) {
    for (const [name, component] of Object.entries({ ActivationTable, BackpropDemo, CollapseDemo, GradientFlow, GraphDemo, HardCases, MnistDemo, NeuronDemo, PlotDemo, PracticeProgram, ShapesDemo })) {
      app.component(name, component);
    }
  },
} satisfies Theme;
